// Batches out of the shared queue (every HTTP thread's ring) for the upload loops: one loop at a time collects a batch,
// until it holds BATCH_MAX_PAYLOADS payloads or BATCH_MAX_BYTES, or BATCH_MAX_WAIT_MS passes; the
// other loops upload meanwhile. It keeps the batches it handed out until they are written, so
// that a shutdown deadline can save them with what the ring still holds.
import type { Batch } from "../queue/batch.ts";
import type { RingSet } from "../queue/ring-set.ts";
import type { BatchReader, ReadBatch } from "./buffer.ts";

export interface RingReaderOptions {
  /** BATCH_MAX_PAYLOADS. */
  maxPayloads: number;
  /** BATCH_MAX_BYTES. */
  maxBytes: number;
  /** BATCH_MAX_WAIT_MS; 0: write whatever is there at once. */
  maxWaitMs: number;
  /** Called when work arrives after the ring was empty (the upload side was idle until now). @default none */
  onWork?: () => void;
}

/**
 * @example
 * const reader = new RingReader(ring, { maxPayloads: 20_000, maxBytes: 2 << 20, maxWaitMs: 3_000 });
 * const read = await reader.next(scratch); // null once closed and empty
 * await read.release();                    // once it is encoded into an object
 */
export class RingReader implements BatchReader {
  /** Batches handed out whose object is not written yet. */
  readonly outstanding = new Set<Batch>();
  private fillLock: Promise<void> = Promise.resolve();
  private flushing = false;
  private closed = false;

  constructor(
    private readonly ring: RingSet,
    private readonly options: RingReaderOptions,
  ) {}

  get length(): number {
    return this.ring.length;
  }

  /** Stop waiting for batches to fill (shutdown). */
  flush(): void {
    this.flushing = true;
    this.ring.wake();
  }

  /** No more input: `next` returns null once the ring is empty. */
  close(): void {
    this.flushing = true;
    this.closed = true;
    this.ring.wake();
  }

  /** Serialised: only the loop holding the lock waits for a batch to fill. */
  async next(scratch: Uint8Array): Promise<ReadBatch | null> {
    const previous = this.fillLock;
    let release!: () => void;
    this.fillLock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      const { ring, options } = this;
      if (ring.length === 0) {
        while (ring.length === 0) {
          if (this.closed) return null;
          await ring.waitFor(1, 1);
        }
        options.onWork?.();
      }
      if (!this.flushing && options.maxWaitMs > 0) await ring.waitFor(options.maxPayloads, options.maxBytes, options.maxWaitMs);
      const batch = ring.drain(options.maxPayloads, options.maxBytes, scratch);
      this.outstanding.add(batch);
      return { batch, release: () => void this.outstanding.delete(batch) };
    } finally {
      release();
    }
  }
}
