import { describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseColumns } from "../../src/columns.ts";
import { loadConfig } from "../../src/config.ts";
import { proposeColumns, schemaReport } from "../../src/schema/infer.ts";
import { ROOT } from "../support/targets.ts";
import { tempDir } from "../support/temp-dir.ts";

const SAMPLE = [
  '{"event":"boot","ts":1796283000250,"at":"2026-12-03T07:30:00Z","day":"2026-12-03","n":9223372036854775807,"cpu":0.5,"ok":true,"c":{"cpu_ms":7,"mem":{"rss":1}},"tags":["a"]}',
  '{"event":"scan","ts":1796283000251,"at":"2026-12-03T07:31:00+01:00","day":"2026-12-04","n":2,"cpu":1,"ok":false,"c":{"cpu_ms":8,"mem":{"rss":2}},"tags":[]}',
  '{"event":"scan","ts":1796283000252,"n":12345678901234567890,"cpu":2,"ok":null,"c":{"cpu_ms":9}}',
  '{"event":7,"rare":1}',
  "[1,2]",
  "not json",
  "",
];

describe("proposeColumns", () => {
  it("proposes each common field with the one type its values fit, nested fields by their dotted path", () => {
    const { columns, payloads, skipped } = proposeColumns([...SAMPLE, ...Array.from({ length: 10 }, () => '{"event":"x"}')]);
    expect(payloads).toBe(14);
    expect(skipped).toBe(2);
    expect(Object.fromEntries(columns.map((c) => [c.name, c.type]))).toEqual({
      event: "json", // strings and a number: they disagree
      ts: "bigint",
      n: "double", // one value past 64 bits
      cpu: "double",
      ok: "boolean",
      "c.cpu_ms": "bigint",
      "c.mem.rss": "bigint",
      at: "timestamp_ms",
      day: "date",
      tags: "json",
    });
    expect(columns[0]!.name).toBe("event"); // the most common first
    expect(columns.find((c) => c.name === "rare")).toBeUndefined(); // in 1 of 14: under 10%
  });

  it("prints a PARQUET_COLUMNS line the config takes, with a comment per column", () => {
    const report = schemaReport(proposeColumns(SAMPLE));
    const line = report.split("\n").find((l) => l.startsWith("PARQUET_COLUMNS="))!;
    const spec = line.slice("PARQUET_COLUMNS='".length, -1);
    expect(loadConfig({ FORMAT: "parquet", PARQUET_COLUMNS: spec }).PARQUET_COLUMNS).toBe(spec);
    expect(parseColumns(spec).map((c) => c.name)).toContain("c.cpu_ms");
    expect(report).toContain("# 4 payloads read, 2 lines skipped (not JSON objects)");
    expect(report).toMatch(/# {3}ts: bigint \(Athena bigint\) in 75%, seen integer 3/);
  });

  it("runs as a command of the executable: the proposal on stdout, exit 0; no file, exit 2", () => {
    using dir = tempDir("schema-");
    const file = join(dir.path, "sample.ndjson");
    writeFileSync(file, SAMPLE.join("\n"));
    const run = (args: string[]) =>
      Bun.spawnSync([process.execPath, `${ROOT}/src/main.ts`, "schema", ...args], { env: { PATH: process.env.PATH ?? "" } });
    const ok = run(["--from", file]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.toString()).toContain("PARQUET_COLUMNS='event:json,");
    const missing = run([]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.toString()).toContain("--from FILE.ndjson is required");
    const unreadable = run(["--from", join(dir.path, "none.ndjson")]);
    expect(unreadable.exitCode).toBe(2);
    expect(unreadable.stderr.toString()).toContain("cannot read");
  });
});
