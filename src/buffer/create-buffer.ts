// Chooses the buffer once, from DURABILITY.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { IngestBuffer } from "./buffer.ts";
import { createDiskBuffer } from "./disk-buffer.ts";
import { createMemoryBuffer } from "./memory-buffer.ts";

/**
 * @param onWork called when work arrives after the buffer was empty (for the upload-stall metric)
 * @example
 * const buffer = createBuffer(loadConfig(process.env), log, () => {});
 */
export function createBuffer(config: Config, log: Logger, onWork: () => void): IngestBuffer {
  return config.DURABILITY === "disk" ? createDiskBuffer(config, log, onWork) : createMemoryBuffer(config, log, onWork);
}
