// Batches out of the spool for the upload loops: each sealed segment, oldest first, named by its
// identity, and removed once the object holding it is written. Segments of an object an earlier
// process was completing come first, marked with that object.
import type { Logger } from "../log.ts";
import { readSegment } from "../spool/read-segment.ts";
import type { Spool } from "../spool/spool.ts";
import type { BatchReader, ReadBatch } from "./buffer.ts";

/**
 * @example
 * const reader = new SpoolReader(spool, log);
 * const read = await reader.next(scratch); // a sealed segment, named by its identity
 */
export class SpoolReader implements BatchReader {
  constructor(
    private readonly spool: Spool,
    private readonly log: Logger,
    /** Called when a segment arrives after none was waiting (the upload side was idle until now). */
    private readonly onWork?: () => void,
  ) {}

  /** Segments whose object is not written yet, those being uploaded included. */
  get length(): number {
    return this.spool.segments;
  }

  async next(scratch: Uint8Array): Promise<ReadBatch | null> {
    for (;;) {
      const idle = this.spool.sealedWaiting === 0;
      const segment = await this.spool.nextSealed();
      if (!segment) return null;
      if (idle) this.onWork?.();
      const decoded = await readSegment(segment.path, scratch);
      if (decoded.badTailBytes > 0) {
        // Power loss mid-write: the last frame never got its fsync, so it was never acknowledged.
        this.log.warn("spool segment ends in a torn or corrupt frame; skipping its tail", {
          segment: segment.path,
          frames: decoded.frames,
          skipped_bytes: decoded.badTailBytes,
        });
      }
      // An empty segment is dropped, unless an object an earlier process was completing counts it.
      if (decoded.payloads === 0 && !segment.object && !segment.shares?.objects.size) {
        await this.spool.remove(segment);
        continue;
      }
      return {
        batch: { ndjson: decoded.ndjson, payloads: decoded.payloads },
        segment: {
          name: { timeMs: segment.createdMs, instanceId: this.spool.instanceId, sequence: segment.seq },
          ...(segment.object && { resumes: segment.object }),
          shares: {
            ...(segment.routes && { routes: segment.routes }),
            ...(segment.shares && { recovered: segment.shares }),
            record: (routes) => this.spool.recordRoutes(segment, routes),
          },
        },
        release: () => this.spool.remove(segment),
      };
    }
  }
}
