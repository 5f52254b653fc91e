// Disk mode's first stage on the upload side: takes whatever collections the HTTP threads have
// queued, appends them to the spool as one frame and fsyncs it, then tells each HTTP thread (Acks)
// that they may be answered. While one fsync runs, the next collections gather in the queue, so
// one fsync covers all of them (group commit). A failed write is answered with 503: nothing that
// was not fsync'd is ever acknowledged.
import { errorField, type Logger } from "../log.ts";
import type { Acks } from "../queue/acks.ts";
import type { RingSet } from "../queue/ring-set.ts";
import type { Spool } from "../spool/spool.ts";

export interface SpoolWriterOptions {
  /** Most bytes and payloads in one frame (one fsync group): a segment's worth. */
  maxBytes: number;
  maxPayloads: number;
}

/**
 * @example
 * const writer = new SpoolWriter(ring, spool, acks, log, { maxBytes: 2 << 20, maxPayloads: 20_000 });
 * writer.start(); // ...
 * await writer.close(); // everything queued is written, or answered as failed
 */
export class SpoolWriter {
  private closed = false;
  private running: Promise<void> | null = null;
  private scratch: Uint8Array;

  constructor(
    private readonly queue: RingSet,
    private readonly spool: Spool,
    /** One per ring of the queue. */
    private readonly acks: readonly Acks[],
    private readonly log: Logger,
    private readonly options: SpoolWriterOptions,
  ) {
    this.scratch = new Uint8Array(Math.min(options.maxBytes, queue.capacityBytes));
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** No more collections are coming: resolves once every queued one is written (or failed). */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.wake();
    await this.running;
  }

  /** Each ring's thread learns about the payloads the frame took from its ring. */
  private publish(taken: readonly number[], failed: boolean): void {
    taken.forEach((payloads, ring) => {
      if (payloads > 0) this.acks[ring]!.publish(payloads, failed);
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      while (this.queue.length === 0) {
        if (this.closed) return;
        await this.queue.waitFor(1, 1);
      }
      // No more than the open segment can take, so a segment file stays within BATCH_MAX_BYTES
      // and fits the upload loops' reusable buffers. A record that does not fit goes to the next
      // segment; one larger than a whole segment still moves, alone.
      const room = this.spool.openSegmentRoom;
      const partlyFull = room < this.spool.segmentRoom;
      const batch = this.queue.drain(this.options.maxPayloads, Math.min(this.options.maxBytes, room), this.scratch, partlyFull);
      if (batch.payloads === 0) {
        await this.spool.sealNow();
        continue;
      }
      try {
        // The limit was checked when the collections were queued (SPOOL_MAX_BYTES).
        await this.spool.append(batch.ndjson, batch.payloads, false);
        this.publish(batch.taken, false);
      } catch (err) {
        this.log.limited("error", "spool:write", "writing to the spool failed; answering 503", { error: errorField(err) });
        this.publish(batch.taken, true);
      }
    }
  }
}
