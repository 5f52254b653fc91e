// Builds the upload side of one s3-ingest service and the memory it shares with the HTTP thread:
// the queue, the store, the upload loops and, in disk mode, the spool writer. It runs on the
// main thread, whose event loop holds no client sockets, so it keeps its pace however many
// connections the HTTP thread serves. Wired together but not started, so tests and main.ts
// assemble the same thing.
import { existsSync, readdirSync } from "node:fs";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { Acks } from "./queue/acks.ts";
import type { Batch } from "./queue/batch.ts";
import { RingBuffer } from "./queue/ring-buffer.ts";
import { newInstanceId } from "./shared/instance-id.ts";
import type { SharedMemory } from "./shared/memory.ts";
import { SharedState } from "./shared/state.ts";
import { StoreHealth } from "./shared/store-health.ts";
import { Spool } from "./spool/spool.ts";
import { SpoolWriter } from "./spool/writer.ts";
import { createStore } from "./store/create-store.ts";
import type { ObjectStore } from "./store/store.ts";
import { createKeyNamer } from "./upload/object-key.ts";
import { type BatchSource, RingSource, SpoolSource } from "./upload/sources.ts";
import { Uploader } from "./upload/uploader.ts";

export interface ServiceOptions {
  log: Logger;
  /** Defaults to the store the config names (S3 or the local directory). */
  store?: ObjectStore;
  instanceId?: string;
}

const hasSegments = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => /\.(seg|open)$/.test(f));

export function createService(config: Config, options: ServiceOptions) {
  const { log } = options;
  const queue = new RingBuffer(config.MAX_QUEUE, config.MAX_QUEUE_BYTES);
  const state = new SharedState();
  const health = new StoreHealth(config.STORE_FAILING_AFTER_MS);
  const metrics = createMetrics();
  const acks = new Acks();
  const memory: SharedMemory = { queue: queue.memory, state: state.memory, health: health.memory, metrics: metrics.memory, acks: acks.memory };
  const store = options.store ?? createStore(config);
  const instanceId = options.instanceId ?? newInstanceId();
  const progressed = () => (state.uploadProgressAt = Date.now());
  const spoolOptions = {
    dir: config.SPOOL_DIR,
    maxBytes: config.SPOOL_MAX_BYTES,
    segmentMaxBytes: config.BATCH_MAX_BYTES,
    segmentMaxRecords: config.BATCH_MAX_RECORDS,
    segmentMaxAgeMs: config.BATCH_MAX_WAIT_MS,
  };
  const disk = config.DURABILITY === "disk";
  // Disk mode's spool; in memory mode, one only when an earlier process left segments behind.
  const spool: Spool | null =
    disk || hasSegments(config.SPOOL_DIR) ? new Spool({ ...spoolOptions, onChange: (s) => state.setSpool(s.bytes, s.segments, s.sealed) }) : null;

  const uploaderFor = (source: BatchSource, workers: number) =>
    new Uploader(
      {
        workers,
        maxBytes: config.BATCH_MAX_BYTES,
        compression: config.COMPRESSION,
        compressionLevel: config.COMPRESSION_LEVEL,
        retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
      },
      { source, store, keys: createKeyNamer(config.S3_PREFIX, instanceId), health, metrics, log, progress: state },
    );

  const uploaders: Uploader[] = [];
  let writer: SpoolWriter | null = null;
  if (disk) {
    writer = new SpoolWriter(queue, spool!, acks, log, { maxBytes: config.BATCH_MAX_BYTES, maxRecords: config.BATCH_MAX_RECORDS });
    uploaders.push(uploaderFor(new SpoolSource(spool!, config.S3_PREFIX, log, progressed), config.MAX_WORKERS));
  } else {
    const batches = {
      maxRecords: config.BATCH_MAX_RECORDS,
      maxBytes: config.BATCH_MAX_BYTES,
      maxWaitMs: config.BATCH_MAX_WAIT_MS,
      onWork: progressed,
    };
    uploaders.push(uploaderFor(new RingSource(queue, batches), config.MAX_WORKERS));
    if (spool) {
      // What an earlier process saved at its shutdown deadline: upload it, then this spool is done.
      uploaders.push(uploaderFor(new SpoolSource(spool, config.S3_PREFIX, log, progressed), 2));
      void spool.close();
    }
  }
  const queueUploader = disk ? null : uploaders[0]!;

  /** Memory mode, at the shutdown deadline: keep what is still unwritten in the spool for the next start. */
  async function saveUnwritten(): Promise<number> {
    queue.close(); // no collection is queued, and acknowledged, after what is saved here
    const batches: Batch[] = [...(queueUploader?.inFlightBatches ?? []), queue.drain(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)];
    const unsaved = batches.filter((b) => b.records > 0);
    if (unsaved.length === 0) return 0;
    const target = new Spool(spoolOptions);
    await Promise.all(unsaved.map((b) => target.append(b.ndjson.slice(), b.records)));
    await target.sealNow();
    return unsaved.reduce((n, b) => n + b.records, 0);
  }

  return {
    config,
    log,
    memory,
    queue,
    state,
    health,
    metrics,
    spool,
    store,
    instanceId,
    start() {
      writer?.start();
      for (const u of uploaders) u.start();
    },
    /** Stop waiting for batches to fill: write whatever is queued now (shutdown). */
    flush: () => {
      for (const u of uploaders) u.flush();
    },
    /** No more input: resolves once everything queued is written (disk mode: uploaded from the spool). */
    async close(): Promise<void> {
      await writer?.close();
      await Promise.all(uploaders.map((u) => u.close()));
    },
    /** Acknowledged payloads not yet in the store (in disk mode they are safe in the spool). */
    unwritten: () => queue.length + uploaders.reduce((n, u) => n + u.inFlightRecords, 0),
    saveUnwritten,
  };
}
export type Service = ReturnType<typeof createService>;
