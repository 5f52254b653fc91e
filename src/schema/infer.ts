// `s3-ingest schema --from FILE.ndjson`: a proposed PARQUET_COLUMNS from sample payloads, so an
// operator starts from real data. Every field, nested ones by their dotted path, is counted with
// the types its values had; the fields seen in at least MIN_SHARE of the payloads are proposed,
// most common first, each with the one type all its values fit (or `json` when they disagree).
// Strings that all read as ISO-8601 dates or date-times become `date` or `timestamp_ms`;
// integers that all fit 64 bits become `bigint`, numbers otherwise `double`.
import { ATHENA_TYPE, type ColumnType } from "../columns.ts";
import { int64, isoDate, isoDateTime } from "./read-payload.ts";

/** A field must be in this share of the payloads to be proposed. */
export const MIN_SHARE = 0.1;
/** Nested objects are followed this deep (a dotted name of up to this many keys). */
const MAX_DEPTH = 3;
/** Keys a column name cannot hold (columns.ts), and the writer's own columns. */
const UNNAMEABLE = /[:,.]|^\s|\s$|^$/;

/** What a value is, as far as a column goes. */
type Seen = ColumnType | "integer" | "null" | "object";

interface FieldStats {
  payloads: number;
  seen: Map<Seen, number>;
}

export interface ProposedColumn {
  name: string;
  type: ColumnType;
  /** Share of the payloads that have the field. */
  share: number;
  /** The kinds of value seen, with their counts. */
  seen: Record<string, number>;
}

function kindOf(value: unknown, digits: string | undefined): Seen {
  if (value === null) return "null";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return digits !== undefined && int64(digits) !== null ? "integer" : "double";
  // As the writer reads them (read-payload.ts): a proposed type is one every value fits.
  if (typeof value === "string") return isoDate(value) !== null ? "date" : isoDateTime(value) !== null ? "timestamp_ms" : "string";
  if (Array.isArray(value)) return "json";
  return "object";
}

/** The one type every value seen fits, nulls aside. */
function typeOf(seen: Map<Seen, number>): ColumnType {
  const kinds = new Set([...seen.keys()].filter((k) => k !== "null"));
  if (kinds.size === 0) return "json";
  if ([...kinds].every((k) => k === "integer")) return "bigint";
  if ([...kinds].every((k) => k === "integer" || k === "double")) return "double";
  if ([...kinds].every((k) => k === "date")) return "date";
  if ([...kinds].every((k) => k === "timestamp_ms" || k === "date")) return "timestamp_ms";
  if ([...kinds].every((k) => k === "string" || k === "date" || k === "timestamp_ms")) return "string";
  if (kinds.size === 1 && kinds.has("boolean")) return "boolean";
  return "json";
}

/**
 * @param lines the sample's NDJSON lines; those that are not JSON objects are counted apart
 * @example
 * proposeColumns(['{"event":"boot","n":1}', '{"event":"scan","n":2}']);
 * // { columns: [{ name: "event", type: "string", share: 1, ... }, { name: "n", type: "bigint", ... }], payloads: 2, skipped: 0 }
 */
export function proposeColumns(lines: Iterable<string>): { columns: ProposedColumn[]; payloads: number; skipped: number } {
  const fields = new Map<string, FieldStats>();
  let payloads = 0;
  let skipped = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    let value: unknown;
    // Each number's digits as sent, so that a 64-bit integer is told from a double.
    const digits = new Map<unknown, string>();
    try {
      value = JSON.parse(line, (_key, v, context?: { source?: string }) => {
        if (typeof v === "number" && context?.source) digits.set(v, context.source);
        return v;
      });
    } catch {
      skipped++;
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      skipped++;
      continue;
    }
    payloads++;
    const walk = (object: Record<string, unknown>, prefix: string, depth: number) => {
      for (const [key, v] of Object.entries(object)) {
        if (UNNAMEABLE.test(key)) continue;
        const name = prefix + key;
        const kind = kindOf(v, typeof v === "number" ? (digits.get(v) ?? String(v)) : undefined);
        if (kind === "object" && depth < MAX_DEPTH) {
          walk(v as Record<string, unknown>, `${name}.`, depth + 1);
          continue;
        }
        let stats = fields.get(name);
        if (!stats) {
          stats = { payloads: 0, seen: new Map() };
          fields.set(name, stats);
        }
        stats.payloads++;
        const as = kind === "object" ? "json" : kind;
        stats.seen.set(as, (stats.seen.get(as) ?? 0) + 1);
      }
    };
    walk(value as Record<string, unknown>, "", 1);
  }
  const columns = [...fields]
    .filter(([name, stats]) => payloads > 0 && stats.payloads / payloads >= MIN_SHARE && !name.startsWith("_"))
    .sort(([a, x], [b, y]) => y.payloads - x.payloads || a.localeCompare(b))
    .map(([name, stats]) => ({ name, type: typeOf(stats.seen), share: stats.payloads / payloads, seen: Object.fromEntries(stats.seen) }));
  // A column that is also the object another reads into cannot be declared: keep the nested ones.
  const kept = columns.filter((c) => !columns.some((d) => d.name.startsWith(`${c.name}.`)));
  return { columns: kept, payloads, skipped };
}

/** What `s3-ingest schema` prints: a comment line per column, then the PARQUET_COLUMNS line. */
export function schemaReport(proposal: ReturnType<typeof proposeColumns>): string {
  const { columns, payloads, skipped } = proposal;
  const lines = [
    `# ${payloads} payloads read${skipped ? `, ${skipped} lines skipped (not JSON objects)` : ""}; fields in at least ${MIN_SHARE * 100}% of them, most common first.`,
    "# Fields left out go to _extra, as their exact JSON. Edit the types to taste (string, bigint, double, boolean, timestamp_ms, date, json).",
    ...columns.map(
      (c) =>
        `#   ${c.name}: ${c.type} (Athena ${ATHENA_TYPE[c.type]}) in ${(c.share * 100).toFixed(0)}%, seen ${Object.entries(c.seen)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")}`,
    ),
    `PARQUET_COLUMNS='${columns.map((c) => `${c.name}:${c.type}`).join(",")}'`,
    "",
  ];
  return lines.join("\n");
}
