// Chooses the object format once, at start-up, from the config. The writer only knows the
// interface (format.ts).
import type { Config } from "../config.ts";
import type { ObjectFormat } from "./format.ts";
import { ndjsonFormat } from "./ndjson-format.ts";

export type FormatConfig = Pick<Config, "COMPRESSION" | "COMPRESSION_LEVEL">;

/** @example const format = createFormat(loadConfig(process.env)); // NDJSON with COMPRESSION */
export function createFormat(config: FormatConfig): ObjectFormat {
  return ndjsonFormat(config.COMPRESSION, config.COMPRESSION_LEVEL);
}
