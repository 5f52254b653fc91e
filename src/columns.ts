// The columns an operator declares for typed objects (PARQUET_COLUMNS, and `athena-ddl
// --columns`): `name:type` pairs, comma-separated, e.g.
// `event:string,ts:timestamp_ms,counters.cpu_ms:bigint`. A dotted name reads into nested
// objects (`counters` -> `cpu_ms`) and names the column as written. Declared once here, with
// what each type means to a reader (Athena's name for it), so the writer and the DDL agree.

export const COLUMN_TYPES = ["string", "bigint", "double", "boolean", "timestamp_ms", "date", "json"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** What each type takes, for the error message and the README. */
export const TYPE_MEANING: Record<ColumnType, string> = {
  string: "a JSON string",
  bigint: "a JSON integer within 64 bits, its digits as sent (never through a double)",
  double: "a JSON number",
  boolean: "true or false",
  timestamp_ms: "epoch milliseconds (an integer) or an ISO-8601 date-time string with its offset",
  date: "an ISO-8601 date string, YYYY-MM-DD",
  json: "any JSON value, kept as its exact bytes in a string column",
};

/** Athena's (Hive's) type of each. */
export const ATHENA_TYPE: Record<ColumnType, string> = {
  string: "string",
  bigint: "bigint",
  double: "double",
  boolean: "boolean",
  timestamp_ms: "timestamp",
  date: "date",
  json: "string",
};

/** Columns the writer adds itself: they cannot be declared. */
export const RESERVED_COLUMNS = ["_extra", "_received_at", "_version"] as const;

export interface Column {
  /** As declared: `counters.cpu_ms`. */
  name: string;
  /** The keys it reads through: `["counters", "cpu_ms"]`. */
  path: readonly string[];
  type: ColumnType;
}

export class ColumnSpecError extends Error {
  override name = "ColumnSpecError";
}

/** A key of a path: anything but the separators, and no surrounding space. */
const SEGMENT = /^[^\s:,.](?:[^:,.]*[^\s:,.])?$/;

/**
 * @example
 * parseColumns("event:string,counters.cpu_ms:bigint");
 * // [{ name: "event", path: ["event"], type: "string" }, { name: "counters.cpu_ms", path: ["counters", "cpu_ms"], type: "bigint" }]
 */
export function parseColumns(spec: string): Column[] {
  const columns: Column[] = [];
  for (const item of spec.split(",")) {
    const entry = item.trim();
    if (!entry) continue;
    const colon = entry.lastIndexOf(":");
    if (colon < 0) throw new ColumnSpecError(`"${entry}" has no type: write name:type, with a type of ${COLUMN_TYPES.join(", ")}`);
    const name = entry.slice(0, colon).trim();
    const type = entry.slice(colon + 1).trim() as ColumnType;
    if (!COLUMN_TYPES.includes(type)) throw new ColumnSpecError(`"${entry}": the type must be one of ${COLUMN_TYPES.join(", ")}, got "${type}"`);
    const path = name.split(".");
    if (!path.every((key) => SEGMENT.test(key)))
      throw new ColumnSpecError(`"${entry}": a name is keys joined by dots, each without spaces at its ends, commas or colons`);
    if ((RESERVED_COLUMNS as readonly string[]).includes(name)) throw new ColumnSpecError(`"${name}" is a column the writer adds itself`);
    columns.push({ name, path, type });
  }
  if (columns.length === 0) throw new ColumnSpecError("no columns: write name:type pairs, comma-separated");
  for (const a of columns) {
    for (const b of columns) {
      if (a === b) continue;
      if (a.name === b.name) throw new ColumnSpecError(`"${a.name}" is declared twice`);
      if (b.name.startsWith(`${a.name}.`))
        throw new ColumnSpecError(`"${a.name}" and "${b.name}": a column cannot also be the object another reads into`);
    }
  }
  return columns;
}

/** The names of FORMAT=parquet's columns; none for NDJSON. */
export const parquetColumnNames = (config: { FORMAT: string; PARQUET_COLUMNS: string }): string[] =>
  config.FORMAT === "parquet" ? parseColumns(config.PARQUET_COLUMNS).map((c) => c.name) : [];

/** The columns as Athena DDL: "`event` string, `counters.cpu_ms` bigint". */
export const athenaColumns = (columns: readonly Column[]): string => columns.map((c) => `\`${c.name}\` ${ATHENA_TYPE[c.type]}`).join(", ");
