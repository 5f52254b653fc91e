// Chooses the object format once, at start-up, from the config: NDJSON, or Parquet with the
// declared columns. The writer only knows the interface (format.ts).
import { parseColumns } from "../columns.ts";
import type { Config } from "../config.ts";
import { VERSION } from "../version.ts";
import type { ObjectFormat } from "./format.ts";
import { ndjsonFormat } from "./ndjson-format.ts";
import { parquetFormat } from "./parquet-format.ts";

export type FormatConfig = Pick<Config, "FORMAT" | "COMPRESSION" | "COMPRESSION_LEVEL" | "PARQUET_COLUMNS" | "PARQUET_EXTRA">;

/**
 * @param onMismatch told each value that did not fit its Parquet column, by the column's name
 * @example const format = createFormat(loadConfig(process.env)); // NDJSON with COMPRESSION
 */
export function createFormat(config: FormatConfig, onMismatch?: (column: string) => void): ObjectFormat {
  if (config.FORMAT === "parquet") {
    const columns = parseColumns(config.PARQUET_COLUMNS);
    return parquetFormat({
      columns,
      codec: config.COMPRESSION,
      level: config.COMPRESSION_LEVEL,
      extra: config.PARQUET_EXTRA,
      createdBy: `s3-ingest ${VERSION}`,
      ...(onMismatch && { onMismatch: (c: number) => onMismatch(columns[c]!.name) }),
    });
  }
  if (config.COMPRESSION === "snappy") throw new Error("snappy is a Parquet codec"); // loadConfig refuses it with FORMAT=ndjson
  return ndjsonFormat(config.COMPRESSION, config.COMPRESSION_LEVEL);
}
