// The spool's settings from the config: a segment holds a batch's worth, or BATCH_MAX_WAIT_MS of
// traffic, and becomes one object.
import type { Config } from "../config.ts";
import type { SpoolOptions } from "../spool/spool.ts";

export const spoolOptions = (config: Config): SpoolOptions => ({
  dir: config.SPOOL_DIR,
  maxBytes: config.SPOOL_MAX_BYTES,
  segmentMaxBytes: config.BATCH_MAX_BYTES,
  segmentMaxPayloads: config.BATCH_MAX_PAYLOADS,
  segmentMaxAgeMs: config.BATCH_MAX_WAIT_MS,
});

/** Segments stay in the spool until their object is complete: an object holds at most a quarter of it. */
export const heldBytes = (config: Config): number => Math.floor(config.SPOOL_MAX_BYTES / 4);
