// The main thread's side of the service, the upload side: the buffer (chosen once: memory or
// disk), the store, a fixed pool of upload loops per buffer reader, and the memory it shares with
// the HTTP thread (start-http-thread.ts starts that one). The main thread's event loop holds no
// client sockets, so it keeps its pace however many connections the HTTP thread serves. Wired
// together but not started, so tests and main.ts assemble the same thing.

import { availableParallelism } from "node:os";
import type { IngestBuffer, Kept } from "./buffer/buffer.ts";
import { createBuffer } from "./buffer/create-buffer.ts";
import { bufferView } from "./buffer/gauges.ts";
import { parquetColumnNames } from "./columns.ts";
import type { Config } from "./config.ts";
import { createRateLimiter } from "./http/rate-limit.ts";
import type { HttpThreadMemory } from "./http/worker.ts";
import type { Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { createGarbagePacer } from "./shared/garbage-pacer.ts";
import { newInstanceId } from "./shared/instance-id.ts";
import { SharedState } from "./shared/state.ts";
import { StoreHealth } from "./shared/store-health.ts";
import { createSampler, newSampleRing } from "./status/sampler.ts";
import { createStore } from "./store/create-store.ts";
import type { ObjectStore } from "./store/store.ts";
import { pooledFormat } from "./upload/encode-pool.ts";
import type { ObjectFormat } from "./upload/format.ts";
import { createFormat } from "./upload/formats.ts";
import { createKeyNamer } from "./upload/object-key.ts";
import { uploaderOptions } from "./upload/upload-options.ts";
import { Uploader } from "./upload/uploader.ts";

/**
 * Store calls between two full collections on this thread. Each call leaves objects (a request,
 * its response, their promises) that live past a young collection, since a PUT takes tens of
 * milliseconds; JavaScriptCore left them in the old generation long enough that one PUT per
 * payload (seed mode, 256 loops) held about 100 MiB more than with a collection a second. A full
 * collection takes about 20-30 ms here, so at the defaults' few calls a second it hardly ever runs
 * (BENCHMARKS.md).
 */
export const STORE_CALLS_PER_COLLECTION = 5_000;

export interface UploadSideOptions {
  log: Logger;
  /** Where objects go. @default createStore(config): S3, or the local directory */
  store?: ObjectStore;
  /** Names this process's objects. @default newInstanceId(): 64 random bits */
  instanceId?: string;
}

/**
 * @example
 * const service = createUploadSide(loadConfig(process.env), { log });
 * service.start();
 * await startHttpThread(config, service, onCrash);
 */
export function createUploadSide(config: Config, options: UploadSideOptions) {
  const { log } = options;
  const state = new SharedState();
  const health = new StoreHealth(config.STORE_FAILING_AFTER_MS);
  const metrics = createMetrics(undefined, parquetColumnNames(config));
  const buffer: IngestBuffer = createBuffer(config, log, () => {
    state.uploadProgressAt = Date.now();
  });
  const history = newSampleRing();
  const sampler = createSampler({ metrics, state, buffer: bufferView(buffer.memory), ring: history });
  const memory: HttpThreadMemory = {
    buffer: buffer.memory,
    state: state.memory,
    health: health.memory,
    metrics: metrics.memory,
    history: history.memory,
    // One limit per token over every HTTP thread: the buckets are shared.
    rateLimit: config.TOKEN_RATE_LIMIT_PER_SEC > 0 ? createRateLimiter(config.TOKEN_RATE_LIMIT_PER_SEC).memory : null,
  };
  const store = options.store ?? createStore(config);
  const instanceId = options.instanceId ?? newInstanceId();
  const keys = createKeyNamer(config.S3_PREFIX, instanceId, Date.now, config.TIME_PARTITION);
  const { format, close: closeFormat } = objectFormat(config, (column) => metrics.parquetMismatches.inc(1, { column }));
  const collectAfter = createGarbagePacer({ every: STORE_CALLS_PER_COLLECTION, fullEvery: 1 });
  const onStoreCall = () => collectAfter(1);
  const uploaders = buffer.readers.map(
    ({ reader, loops, journal, maxHeldBytes }) =>
      new Uploader(uploaderOptions(config, { loops, ...(maxHeldBytes !== undefined && { maxHeldBytes }) }, format), {
        reader,
        store,
        keys,
        health,
        metrics,
        log,
        progress: state,
        journal,
        onStoreCall,
      }),
  );

  let stopSampling = () => {};
  return {
    config,
    log,
    memory,
    buffer,
    state,
    health,
    metrics,
    store,
    instanceId,
    start() {
      buffer.start();
      for (const u of uploaders) u.start();
      stopSampling = sampler.start();
    },
    /** Write what is buffered now, without waiting for batches to fill (shutdown). */
    flush: () => buffer.flush(),
    /** No more input: resolves once everything buffered is written and every object is complete. */
    async close(): Promise<void> {
      await buffer.close();
      await Promise.all(uploaders.map((u) => u.done()));
      await closeFormat();
      stopSampling();
    },
    /** Acknowledged payloads not yet in a completed object. */
    get unwritten(): number {
      return buffer.unwritten + uploaders.reduce((n, u) => n + u.objects.heldPayloads, 0);
    },
    /**
     * The shutdown deadline: the upload loops stop; what they hold that is not in an uploaded
     * part is saved with what the buffer keeps; uploads whose parts are in are completed now.
     */
    async keepRemaining(): Promise<Kept> {
      const unfinished = await Promise.all(uploaders.map((u) => u.stop()));
      const kept = await buffer.keepRemaining(unfinished.flatMap((u) => u.batches));
      await closeFormat();
      const failed: string[] = [];
      let saved = kept.saved;
      for (const { key, uploadId, parts, tail, payloads } of unfinished.flatMap((u) => u.uploads)) {
        try {
          if (tail.length > 0) {
            const partNumber = Math.max(...parts.map((p) => p.partNumber)) + 1;
            parts.push({ partNumber, etag: await store.multipart.uploadPart(key, uploadId, partNumber, tail) });
          }
          await store.multipart.complete(key, uploadId, parts);
          saved += payloads;
        } catch (err) {
          failed.push(`${key} (${payloads} payloads): ${(err as Error).message}`);
        }
      }
      if (failed.length) throw new Error(`completing uploads at the deadline failed: ${failed.join("; ")}`);
      return { ...kept, saved };
    },
  };
}
export type UploadSide = ReturnType<typeof createUploadSide>;

/**
 * The object format, chosen once. Parquet's encodes on a pool of threads (PARQUET_ENCODE_THREADS):
 * its worker's path is relative to this file, beside main.ts, so it resolves the same in the
 * source and in the compiled binary, where it is an entrypoint.
 */
function objectFormat(config: Config, onMismatch: (column: string) => void): { format: ObjectFormat; close(): Promise<void> } {
  const format = createFormat(config, onMismatch);
  if (config.FORMAT !== "parquet") return { format, close: async () => {} };
  const threads = config.PARQUET_ENCODE_THREADS || Math.max(1, Math.min(4, availableParallelism() - 1));
  const newWorker = () => new Worker(new URL("./upload/encode-worker.ts", import.meta.url).href, { type: "module" });
  const pooled = pooledFormat(format, config, threads, newWorker, onMismatch);
  return { format: pooled, close: () => pooled.close() };
}
