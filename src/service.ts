// Builds one s3-ingest service from its config: queue or spool, store, upload loops and HTTP
// app, wired together but not started, so tests and main.ts assemble the same thing.
import { existsSync, readdirSync } from "node:fs";
import { createAdminApp, createApp } from "./app.ts";
import type { Config } from "./config.ts";
import type { Enqueue, ServiceState } from "./http/ingest.ts";
import { createRateLimiter } from "./http/rate-limit.ts";
import { createTokenCheck } from "./http/tokens.ts";
import type { Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { RingBuffer } from "./queue/ring-buffer.ts";
import { Spool } from "./spool/spool.ts";
import { createStore } from "./store/create-store.ts";
import type { ObjectStore } from "./store/store.ts";
import { createKeyNamer, newInstanceId } from "./upload/object-key.ts";
import { RingSource, SpoolSource, type BatchSource } from "./upload/sources.ts";
import { StoreHealth } from "./upload/store-health.ts";
import { Uploader } from "./upload/uploader.ts";

export interface ServiceOptions {
  log: Logger;
  /** Defaults to the store the config names (S3 or the local directory). */
  store?: ObjectStore;
  instanceId?: string;
}

/** Copies the payloads at `spans` of `body` into one NDJSON buffer (disk mode's frames). */
function ndjsonOf(body: Uint8Array, spans: readonly number[]): Uint8Array {
  let bytes = spans.length / 2;
  for (let i = 0; i < spans.length; i += 2) bytes += spans[i + 1]! - spans[i]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < spans.length; i += 2) {
    out.set(body.subarray(spans[i]!, spans[i + 1]!), at);
    at += spans[i + 1]! - spans[i]!;
    out[at++] = 0x0a;
  }
  return out;
}

const hasSegments = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => /\.(seg|open)$/.test(f));

export function createService(config: Config, options: ServiceOptions) {
  const { log } = options;
  const metrics = createMetrics();
  const health = new StoreHealth(config.STORE_FAILING_AFTER_MS);
  const state: ServiceState = { draining: false };
  const store = options.store ?? createStore(config);
  const instanceId = options.instanceId ?? newInstanceId();
  const spoolOptions = {
    dir: config.SPOOL_DIR,
    maxBytes: config.SPOOL_MAX_BYTES,
    segmentMaxBytes: config.BATCH_MAX_BYTES,
    segmentMaxRecords: config.BATCH_MAX_RECORDS,
    segmentMaxAgeMs: config.BATCH_MAX_WAIT_MS,
  };
  const disk = config.DURABILITY === "disk";
  // Memory mode allocates its ring; disk mode's queue is the spool.
  const queue = new RingBuffer(disk ? 1 : config.MAX_QUEUE, disk ? 1 : config.MAX_QUEUE_BYTES);
  // Disk mode's spool; in memory mode, one only when an earlier process left segments behind.
  const spool: Spool | null = disk || hasSegments(config.SPOOL_DIR) ? new Spool(spoolOptions) : null;

  const uploaderFor = (source: BatchSource, workers: number) =>
    new Uploader(
      {
        workers,
        maxBytes: config.BATCH_MAX_BYTES,
        compression: config.COMPRESSION,
        compressionLevel: config.COMPRESSION_LEVEL,
        retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
      },
      { source, store, keys: createKeyNamer(config.S3_PREFIX, instanceId), health, metrics, log },
    );

  const uploaders: Uploader[] = [];
  let enqueue: Enqueue;
  if (disk) {
    const s = spool!;
    uploaders.push(uploaderFor(new SpoolSource(s, config.S3_PREFIX, log), config.MAX_WORKERS));
    enqueue = {
      hasRoom: () => s.fits(0),
      push: (body, spans) => s.append(ndjsonOf(body, spans), spans.length / 2).then(() => true),
    };
  } else {
    uploaders.push(
      uploaderFor(new RingSource(queue, { maxRecords: config.BATCH_MAX_RECORDS, maxBytes: config.BATCH_MAX_BYTES, maxWaitMs: config.BATCH_MAX_WAIT_MS }), config.MAX_WORKERS),
    );
    if (spool) {
      // What an earlier process saved at its shutdown deadline: upload it, then this spool is done.
      uploaders.push(uploaderFor(new SpoolSource(spool, config.S3_PREFIX, log), 2));
      void spool.close();
    }
    enqueue = { hasRoom: () => queue.fits(1, 0), push: (body, spans) => queue.tryPush(body, spans) };
  }

  /** Memory mode, at the shutdown deadline: keep what is still unwritten in the spool for the next start. */
  async function saveUnwritten(): Promise<number> {
    const batches = [...uploaders[0]!.inFlightBatches, queue.drain(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)].filter((b) => b.records > 0);
    if (batches.length === 0) return 0;
    const target = new Spool(spoolOptions);
    await Promise.all(batches.map((b) => target.append(b.ndjson.slice(), b.records)));
    await target.sealNow();
    return batches.reduce((n, b) => n + b.records, 0);
  }

  const tokens = createTokenCheck(config.ALLOWED_TOKENS, config.TOKENS_FILE);
  // Bounded: at most this many tokens' buckets at once, the least recently seen dropped first.
  const limiter = config.TOKEN_RATE_LIMIT_PER_SEC > 0 ? createRateLimiter(config.TOKEN_RATE_LIMIT_PER_SEC, 100_000) : null;
  const deps = { config, enqueue, tokens, limiter, metrics, health, state, log, queue: disk ? null : queue, spool };
  const separateAdmin = config.ADMIN_PORT !== 0;
  const app = createApp(deps, { metrics: !separateAdmin });
  const adminApp = separateAdmin ? createAdminApp(deps) : null;
  return {
    config,
    log,
    metrics,
    queue,
    spool,
    health,
    state,
    store,
    instanceId,
    uploaders,
    app,
    adminApp,
    tokens,
    start: () => uploaders.forEach((u) => u.start()),
    flush: () => uploaders.forEach((u) => u.flush()),
    close: () => Promise.all(uploaders.map((u) => u.close())).then(() => {}),
    /** Acknowledged payloads not yet in the store (in disk mode they are safe in the spool). */
    unwritten: () => (disk ? uploaders[0]!.inFlightRecords : queue.length + uploaders.reduce((n, u) => n + u.inFlightRecords, 0)),
    saveUnwritten,
  };
}
export type Service = ReturnType<typeof createService>;
