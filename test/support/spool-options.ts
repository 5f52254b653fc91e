// Spool options for tests: small segments, a 1 MiB limit, and no sealing by age unless asked.
// Not src/buffer/spool-options.ts's spoolOptions(config), which reads them from the config.
import type { SpoolOptions } from "../../src/spool/spool.ts";

export const smallSpoolOptions = (dir: string, o: Partial<SpoolOptions> = {}): SpoolOptions => ({
  dir,
  maxBytes: 1 << 20,
  segmentMaxBytes: 1 << 16,
  segmentMaxPayloads: 1000,
  segmentMaxAgeMs: 60_000,
  ...o,
});
