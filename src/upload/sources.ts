// Where the upload loops get their batches. Memory mode: the ring buffer, one loop at a time
// collecting until a batch is full or BATCH_MAX_WAIT_MS passes. Disk mode (and the objects an
// earlier process left): sealed spool segments, one object each, under a key fixed by the segment.
import type { Logger } from "../log.ts";
import type { Batch } from "../queue/batch.ts";
import type { RingBuffer } from "../queue/ring-buffer.ts";
import type { Spool } from "../spool/spool.ts";
import { objectKey } from "./object-key.ts";

export interface SourceBatch {
  batch: Batch;
  /** The object key for this batch, when the source fixes it (spool segments). */
  key?: (extension: string) => string;
  /** Called once the object is written. */
  written?: () => Promise<void>;
}

export interface BatchSource {
  /** Records waiting in the source. */
  readonly length: number;
  /** The next batch, or null once the source is closed and empty. */
  next(scratch: Uint8Array): Promise<SourceBatch | null>;
  /** Stop waiting for batches to fill (shutdown). */
  flush(): void;
  /** No more input: `next` returns null once empty. */
  close(): void;
}

export interface RingSourceOptions {
  maxRecords: number;
  maxBytes: number;
  maxWaitMs: number;
  /** Called when work arrives after the source was empty (the upload side was idle until now). */
  onWork?: () => void;
}

export class RingSource implements BatchSource {
  private fillLock: Promise<void> = Promise.resolve();
  private flushing = false;
  private closed = false;

  constructor(
    private readonly queue: RingBuffer,
    private readonly o: RingSourceOptions,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  flush(): void {
    this.flushing = true;
    this.queue.wake();
  }

  close(): void {
    this.flushing = true;
    this.closed = true;
    this.queue.wake();
  }

  /** Serialised: only the loop holding the lock waits for a batch to fill. */
  async next(scratch: Uint8Array): Promise<SourceBatch | null> {
    const previous = this.fillLock;
    let release!: () => void;
    this.fillLock = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      const { queue } = this;
      if (queue.length === 0) {
        while (queue.length === 0) {
          if (this.closed) return null;
          await queue.waitFor(1, 1);
        }
        this.o.onWork?.();
      }
      if (!this.flushing && this.o.maxWaitMs > 0) await queue.waitFor(this.o.maxRecords, this.o.maxBytes, this.o.maxWaitMs);
      return { batch: queue.drain(this.o.maxRecords, this.o.maxBytes, scratch) };
    } finally {
      release();
    }
  }
}

export class SpoolSource implements BatchSource {
  constructor(
    private readonly spool: Spool,
    private readonly prefix: string,
    private readonly log: Logger,
    /** Called when a segment arrives after none was waiting (the upload side was idle until now). */
    private readonly onWork?: () => void,
  ) {}

  /** Segments whose object is not written yet, those being uploaded included. */
  get length(): number {
    return this.spool.segments;
  }

  flush(): void {
    void this.spool.sealNow();
  }

  close(): void {
    void this.spool.close();
  }

  async next(scratch: Uint8Array): Promise<SourceBatch | null> {
    for (;;) {
      const idle = this.spool.sealedWaiting === 0;
      const segment = await this.spool.nextSealed();
      if (!segment) return null;
      if (idle) this.onWork?.();
      const decoded = await this.spool.read(segment, scratch);
      if (decoded.badTailBytes > 0) {
        // Power loss mid-write: the last frame never got its fsync, so it was never acknowledged.
        this.log.warn("spool segment ends in a torn or corrupt frame; skipping its tail", {
          segment: segment.path,
          frames: decoded.frames,
          skipped_bytes: decoded.badTailBytes,
        });
      }
      if (decoded.records === 0) {
        await this.spool.remove(segment);
        continue;
      }
      const { instanceId } = this.spool;
      return {
        batch: { ndjson: decoded.ndjson, records: decoded.records },
        key: (extension) => objectKey({ prefix: this.prefix, timeMs: segment.createdMs, instanceId, sequence: segment.seq, extension }),
        written: () => this.spool.remove(segment),
      };
    }
  }
}
