// The fixed pool of async upload loops that turns batches from a source (the ring buffer, or
// spool segments) into objects. A batch is retried, under the same key, until it is written:
// loops never drop and never throw.
import type { Logger } from "../log.ts";
import { errorField } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Batch } from "../queue/batch.ts";
import { type ObjectStore, StoreError } from "../store/store.ts";
import { type Compression, type EncodedBatch, encodeBatch } from "./encode.ts";
import type { KeyNamer } from "./object-key.ts";
import { backoffMs, type RetryPolicy } from "./retry.ts";
import type { BatchSource, SourceBatch } from "./sources.ts";

/** What the upload side reports of its progress (the shared state, for /metrics). */
export interface UploadProgress {
  addUploadInFlight(records: number): void;
  uploadProgressAt: number;
}

import type { StoreHealth } from "../shared/store-health.ts";

export interface UploaderOptions {
  workers: number;
  /** Size of the reusable batch buffers (BATCH_MAX_BYTES). */
  maxBytes: number;
  compression: Compression;
  /** 0: the codec's default. */
  compressionLevel: number;
  retry: RetryPolicy;
}

export interface UploaderDeps {
  source: BatchSource;
  store: ObjectStore;
  keys: KeyNamer;
  health: StoreHealth;
  metrics: Metrics;
  log: Logger;
  progress?: UploadProgress;
}

export class Uploader {
  /** Batches taken from the source whose object is not written yet. */
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
    private readonly o: UploaderOptions,
    private readonly d: UploaderDeps,
  ) {}

  start(): void {
    for (let i = 0; i < this.o.workers; i++) this.loops.push(this.loop());
  }

  /** Payloads taken from the queue whose object is not written yet. */
  get inFlightRecords(): number {
    let records = 0;
    for (const batch of this.pending) records += batch.records;
    return records;
  }

  /** The batches being written right now, for a shutdown that must keep them elsewhere. */
  get inFlightBatches(): Batch[] {
    return [...this.pending];
  }

  /** Stop waiting for batches to fill: write whatever is queued now (shutdown). */
  flush(): void {
    this.d.source.flush();
  }

  /** No more input is coming: resolves once every queued payload is written and the loops ended. */
  close(): Promise<void> {
    this.d.source.close();
    return Promise.all(this.loops).then(() => {});
  }

  /** Resolves when the queue is empty and no upload is in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.d.source.length === 0 && this.pending.size === 0;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const scratch = this.buffers.pop() ?? new Uint8Array(this.o.maxBytes);
      const item = await this.d.source.next(scratch);
      if (item === null) return;
      const { batch } = item;
      this.pending.add(batch);
      this.d.progress?.addUploadInFlight(batch.records);
      await this.deliver(item);
      this.pending.delete(batch);
      this.d.progress?.addUploadInFlight(-batch.records);
      this.buffers.push(scratch);
      if (this.idleWaiters.length && this.isIdle()) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  private async deliver({ batch, key: keyFor, written }: SourceBatch): Promise<void> {
    const { store, metrics, health, log } = this.d;
    let encoded: EncodedBatch;
    try {
      encoded = await encodeBatch(batch, this.o.compression, this.o.compressionLevel);
    } catch (err) {
      // Cannot happen with valid input; if it does, keep the batch as plain NDJSON rather than lose it.
      log.error("encoding a batch failed; writing it uncompressed", { error: errorField(err) });
      encoded = await encodeBatch(batch, "none");
    }
    const key = (keyFor ?? this.d.keys)(encoded.extension);
    const options = { contentType: encoded.contentType, contentEncoding: encoded.contentEncoding };
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) metrics.uploadRetries.inc();
      const started = performance.now();
      try {
        await store.put(key, encoded.body, options);
        metrics.uploadSeconds.observe((performance.now() - started) / 1000);
        metrics.objectsWritten.inc();
        metrics.bytesWritten.inc(encoded.body.length);
        metrics.payloadsWritten.inc(batch.records);
        health.success();
        if (this.d.progress) this.d.progress.uploadProgressAt = Date.now();
        await written?.().catch((err) =>
          log.limited("error", "spool:remove", "removing an uploaded spool segment failed", { error: errorField(err) }),
        );
        return;
      } catch (err) {
        const e = err instanceof StoreError ? err : new StoreError("unknown", true, errorField(err), { cause: err });
        metrics.uploadErrors.inc(1, { error_type: e.type });
        health.failure(e.retryable);
        const delay = backoffMs(attempt, e.retryable, this.o.retry);
        log.limited(e.retryable ? "warn" : "error", `upload:${e.type}`, "upload failed; retrying", {
          error_type: e.type,
          error: e.message,
          retryable: e.retryable,
          retry_in_ms: delay,
          records: batch.records,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
