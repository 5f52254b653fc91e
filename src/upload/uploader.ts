// A fixed pool of async upload loops that turns the batches a buffer's reader hands out (out of
// the ring, or spool segments) into objects. A batch is retried, under the same key, until it is
// written: loops never drop and never throw.

import type { BatchReader, ReadBatch } from "../buffer/buffer.ts";
import type { Logger } from "../log.ts";
import { errorField } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Batch } from "../queue/batch.ts";
import type { StoreHealth } from "../shared/store-health.ts";
import { type ObjectStore, StoreError } from "../store/store.ts";
import { type Compression, type EncodedBatch, encodeBatch } from "./encode.ts";
import { type KeyNamer, objectKey } from "./object-key.ts";
import { backoffMs, type RetryPolicy } from "./retry.ts";

/** What the upload side reports of its progress (the shared state, for /metrics). */
export interface UploadProgress {
  addUploadInFlight(payloads: number): void;
  uploadProgressAt: number;
}

export interface UploaderOptions {
  /** How many loops: MAX_WORKERS, the most PUTs in flight at once. */
  loops: number;
  /** S3_PREFIX, for objects whose name the buffer fixes. */
  prefix: string;
  /** Size of the reusable batch buffers (BATCH_MAX_BYTES). */
  maxBytes: number;
  compression: Compression;
  /** 0: the codec's default. */
  compressionLevel: number;
  retry: RetryPolicy;
}

export interface UploaderDeps {
  reader: BatchReader;
  store: ObjectStore;
  keys: KeyNamer;
  health: StoreHealth;
  metrics: Metrics;
  log: Logger;
  progress?: UploadProgress;
}

/**
 * @example
 * const uploader = new Uploader({ loops: 4, prefix: "events", maxBytes: 2 << 20, compression: "zstd", compressionLevel: 0, retry },
 *   { reader, store, keys: createKeyNamer("events", instanceId), health, metrics, log });
 * uploader.start();
 * await buffer.close(); await uploader.done(); // everything written
 */
export class Uploader {
  /** Batches taken from the reader whose object is not written yet. */
  private readonly pending = new Set<Batch>();
  private loops: Promise<void>[] = [];
  private idleWaiters: (() => void)[] = [];
  /**
   * Batch buffers, reused: a fresh BATCH_MAX_BYTES buffer per batch kept hundreds of MiB of freed
   * pages in RSS (BENCHMARKS.md). Shared by the loops, so only as many exist as batches were
   * ever in flight at once, not one per loop.
   */
  private buffers: Uint8Array[] = [];

  constructor(
    private readonly options: UploaderOptions,
    private readonly deps: UploaderDeps,
  ) {}

  start(): void {
    for (let i = 0; i < this.options.loops; i++) this.loops.push(this.loop());
  }

  /** Resolves once every loop has ended: the reader said its buffer is closed and empty. */
  done(): Promise<void> {
    return Promise.all(this.loops).then(() => {});
  }

  /** Payloads taken from the queue whose object is not written yet. */
  get inFlightPayloads(): number {
    let payloads = 0;
    for (const batch of this.pending) payloads += batch.payloads;
    return payloads;
  }

  /** Resolves when the queue is empty and no upload is in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.deps.reader.length === 0 && this.pending.size === 0;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const scratch = this.buffers.pop() ?? new Uint8Array(this.options.maxBytes);
      const item = await this.deps.reader.next(scratch);
      if (item === null) return;
      const { batch } = item;
      this.pending.add(batch);
      this.deps.progress?.addUploadInFlight(batch.payloads);
      await this.deliver(item);
      this.pending.delete(batch);
      this.deps.progress?.addUploadInFlight(-batch.payloads);
      this.buffers.push(scratch);
      if (this.idleWaiters.length && this.isIdle()) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  private async deliver({ batch, name, written }: ReadBatch): Promise<void> {
    const { store, metrics, health, log } = this.deps;
    let encoded: EncodedBatch;
    try {
      encoded = await encodeBatch(batch, this.options.compression, this.options.compressionLevel);
    } catch (err) {
      // Cannot happen with valid input; if it does, keep the batch as plain NDJSON rather than lose it.
      log.error("encoding a batch failed; writing it uncompressed", { error: errorField(err) });
      encoded = await encodeBatch(batch, "none");
    }
    const { extension } = encoded;
    const key = name ? objectKey({ prefix: this.options.prefix, ...name, extension }) : this.deps.keys(extension);
    const options = { contentType: encoded.contentType, contentEncoding: encoded.contentEncoding };
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) metrics.uploadRetries.inc();
      const started = performance.now();
      try {
        await store.put(key, encoded.body, options);
        metrics.uploadSeconds.observe((performance.now() - started) / 1000);
        metrics.objectsWritten.inc();
        metrics.bytesWritten.inc(encoded.body.length);
        metrics.payloadsWritten.inc(batch.payloads);
        health.success();
        if (this.deps.progress) this.deps.progress.uploadProgressAt = Date.now();
        try {
          await written();
        } catch (err) {
          log.limited("error", "spool:remove", "removing an uploaded spool segment failed", { error: errorField(err) });
        }
        return;
      } catch (err) {
        const e = err instanceof StoreError ? err : new StoreError("unknown", true, errorField(err), { cause: err });
        metrics.uploadErrors.inc(1, { error_type: e.type });
        health.failure(e.retryable);
        const delay = backoffMs(attempt, e.retryable, this.options.retry);
        log.limited(e.retryable ? "warn" : "error", `upload:${e.type}`, "upload failed; retrying", {
          error_type: e.type,
          error: e.message,
          retryable: e.retryable,
          retry_in_ms: delay,
          payloads: batch.payloads,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
