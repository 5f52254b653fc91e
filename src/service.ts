// Builds one s3-ingest service from its config: queue, store, upload loops and HTTP app, wired
// together but not started, so tests and main.ts assemble the same thing.
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import type { ServiceState } from "./http/ingest.ts";
import type { Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { RingBuffer } from "./queue/ring-buffer.ts";
import { createStore } from "./store/create-store.ts";
import type { ObjectStore } from "./store/store.ts";
import { createKeyNamer, newInstanceId } from "./upload/object-key.ts";
import { StoreHealth } from "./upload/store-health.ts";
import { Uploader } from "./upload/uploader.ts";

export interface ServiceOptions {
  log: Logger;
  /** Defaults to the store the config names (S3 or the local directory). */
  store?: ObjectStore;
  instanceId?: string;
}

export function createService(config: Config, options: ServiceOptions) {
  const { log } = options;
  const metrics = createMetrics();
  const queue = new RingBuffer(config.MAX_QUEUE, config.MAX_QUEUE_BYTES);
  const health = new StoreHealth(config.STORE_FAILING_AFTER_MS);
  const state: ServiceState = { draining: false };
  const store = options.store ?? createStore(config);
  const instanceId = options.instanceId ?? newInstanceId();
  const uploader = new Uploader(
    {
      workers: config.MAX_WORKERS,
      maxRecords: config.BATCH_MAX_RECORDS,
      maxBytes: config.BATCH_MAX_BYTES,
      maxWaitMs: config.BATCH_MAX_WAIT_MS,
      compression: config.COMPRESSION,
      compressionLevel: config.COMPRESSION_LEVEL,
      retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
    },
    { queue, store, keys: createKeyNamer(config.S3_PREFIX, instanceId), health, metrics, log },
  );
  const app = createApp({ config, queue, metrics, health, state, log });
  return { config, log, metrics, queue, health, state, store, instanceId, uploader, app };
}
export type Service = ReturnType<typeof createService>;
