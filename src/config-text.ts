// The config as text: `--help`, the README's table, and the start-up log line's redacted copy.
import { type Config, entries, expectation } from "./config.ts";

/** `--help`: every variable with its default and meaning. */
export function helpText(): string {
  const lines = [
    "Usage: s3-ingest [--help | --version | healthcheck | athena-ddl --table NAME [--columns NAME:TYPE,...] [--location s3://BUCKET/PREFIX] [--values A,B] | schema --from FILE.ndjson | drain-spool]",
    "",
    "Configured only by environment variables:",
    "",
  ];
  for (const [name, schema] of entries()) {
    lines.push(`  ${name}  (${expectation(schema)}; default: ${JSON.stringify(schema.default)})`);
    lines.push(`      ${schema.description}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The README's configuration table, generated so that it cannot drift from the schema. */
export function markdownTable(): string {
  const rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"];
  for (const [name, schema] of entries()) {
    const def = schema.default === "" ? "(empty)" : `\`${String(schema.default)}\``;
    rows.push(`| \`${name}\` | ${def} | ${schema.description} ${capitalise(expectation(schema))}. |`);
  }
  return rows.join("\n");
}

const capitalise = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The config as the start-up log line shows it: token lists are secrets, so only counted. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const tokens = config.ALLOWED_TOKENS.split(",").filter((t) => t.trim() !== "").length;
  return { ...config, ALLOWED_TOKENS: tokens ? `(${tokens} tokens)` : "" };
}
