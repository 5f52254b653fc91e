// `s3-ingest athena-ddl --table NAME --columns "..." [--location s3://bucket/prefix] [--values a,b]`:
// prints the CREATE EXTERNAL TABLE that reads this configuration's objects in Athena, with
// partition projection (no crawler, no MSCK REPAIR): the key template, the partition columns and
// the `projection.*` properties follow the key layout of upload/object-key.ts exactly. Columns are
// `name:type` pairs, as PARQUET_COLUMNS declares them (columns.ts), or Athena DDL as it is; with
// FORMAT=parquet they default to PARQUET_COLUMNS and `_extra`, and the table is STORED AS PARQUET.
import { athenaColumns, ColumnSpecError, parseColumns } from "./columns.ts";
import type { Config } from "./config.ts";

export class DdlError extends Error {
  override name = "DdlError";
}

export interface DdlArgs {
  table: string;
  /** The payload's columns: "id:string,ts:bigint" (as PARQUET_COLUMNS), or Athena DDL: "`id` string, `ts` bigint". @default with FORMAT=parquet, PARQUET_COLUMNS */
  columns?: string;
  /** `s3://bucket/prefix`: where the objects are. @default s3://{S3_BUCKET}/{S3_PREFIX} */
  location?: string;
  /** PARTITION_BY's values, when known: an `enum` projection instead of `injected`. */
  values?: string[];
}

/** Reads `--name value` pairs. */
export function parseDdlArgs(argv: readonly string[]): DdlArgs {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const table = get("--table");
  const columns = get("--columns");
  if (!table || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new DdlError("--table NAME is required: letters, digits and _");
  const location = get("--location");
  const values = get("--values")
    ?.split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  return { table, ...(columns && { columns }), ...(location && { location }), ...(values?.length && { values }) };
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** `--columns` as Athena DDL: `name:type` pairs converted, DDL kept as it is; with FORMAT=parquet, PARQUET_COLUMNS and `_extra` by default. */
function ddlColumns(config: Config, columns: string | undefined): string {
  const parquet = config.FORMAT === "parquet";
  const spec = columns ?? (parquet ? config.PARQUET_COLUMNS : undefined);
  if (!spec) throw new DdlError('--columns is required: the payloads\' fields, for example --columns "id:string,ts:bigint"');
  if (spec.includes("`") || !spec.includes(":")) return spec; // Athena DDL
  try {
    const parsed = parseColumns(spec);
    const dotted = parsed.find((c) => c.path.length > 1);
    if (dotted)
      throw new DdlError(
        `Athena cannot name a column "${dotted.name}": its names are letters, digits and _ (DuckDB, Spark and Trino read it quoted)`,
      );
    const added = parquet ? `, \`_received_at\` timestamp, \`_version\` string${config.PARQUET_EXTRA ? ", `_extra` string" : ""}` : "";
    return athenaColumns(parsed) + added;
  } catch (err) {
    if (err instanceof ColumnSpecError) throw new DdlError(`--columns: ${err.message}`);
    throw err;
  }
}

export function athenaDdl(config: Config, args: DdlArgs): string {
  const columns = ddlColumns(config, args.columns);
  const base = (args.location ?? (config.S3_BUCKET ? `s3://${config.S3_BUCKET}/${config.S3_PREFIX}` : "")).replace(/\/+$/, "");
  if (!base.startsWith("s3://")) throw new DdlError("--location s3://bucket/prefix is required when S3_BUCKET is not set");
  const field = config.PARTITION_BY;
  // Athena's column names are lower case; the key keeps the field's own spelling.
  const column = field.toLowerCase();
  if (field && new RegExp(`(^|[\\s,\`])${column}[\`\\s]`, "i").test(columns)) {
    throw new DdlError(`leave ${column} out of --columns: it is a partition column, read from the key`);
  }
  const levels: [string, string][] = [];
  if (field) levels.push([field, column]);
  levels.push(["dt", "dt"]);
  if (config.TIME_PARTITION === "hour") levels.push(["hr", "hr"]);
  const template = `${base}/${levels.map(([name, col]) => `${name}=\${${col}}`).join("/")}/`;

  const properties: [string, string][] = [["projection.enabled", "true"]];
  if (field) {
    if (args.values) properties.push([`projection.${column}.type`, "enum"], [`projection.${column}.values`, args.values.join(",")]);
    else properties.push([`projection.${column}.type`, "injected"]);
  }
  properties.push(
    ["projection.dt.type", "date"],
    ["projection.dt.format", "yyyy-MM-dd"],
    ["projection.dt.range", "2020-01-01,NOW"],
    ["projection.dt.interval", "1"],
    ["projection.dt.interval.unit", "DAYS"],
  );
  if (config.TIME_PARTITION === "hour")
    properties.push(["projection.hr.type", "integer"], ["projection.hr.range", "0,23"], ["projection.hr.digits", "2"]);
  properties.push(["storage.location.template", template]);

  const parquet = config.FORMAT === "parquet";
  const extension = parquet ? ".parquet" : { zstd: ".ndjson.zst", gzip: ".ndjson.gz", none: ".ndjson", snappy: "" }[config.COMPRESSION];
  return [
    parquet
      ? `-- s3-ingest objects: Parquet, one file per object, in ${extension} files (pages compressed with ${config.COMPRESSION}).`
      : `-- s3-ingest objects: NDJSON, one payload per line, in ${extension} files (Athena picks the codec by extension).`,
    `-- Keys: ${template}{ms}-{instance}-{seq}${extension}`,
    ...(field && !args.values
      ? [`-- ${column} is an injected projection: every query names its value(s), e.g. WHERE ${column} = 'boot'. --values a,b,c makes it an enum.`]
      : []),
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${args.table}\` (`,
    `  ${columns}`,
    ")",
    `PARTITIONED BY (${levels.map(([, col]) => `\`${col}\` string`).join(", ")})`,
    parquet ? "STORED AS PARQUET" : "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'",
    `LOCATION ${quote(`${base}/`)}`,
    "TBLPROPERTIES (",
    properties.map(([k, v]) => `  ${quote(k)} = ${quote(v)}`).join(",\n"),
    ");",
    "",
  ].join("\n");
}
