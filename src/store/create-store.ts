// Picks the store from the config: S3 when S3_BUCKET is set, else the local directory.
import type { Config } from "../config.ts";
import { createLocalDirStore } from "./local-dir-store.ts";
import { createS3Store } from "./s3-store.ts";
import type { ObjectStore } from "./store.ts";

export function createStore(config: Config): ObjectStore {
  if (!config.S3_BUCKET) return createLocalDirStore(config.DATA_DIR);
  return createS3Store({
    bucket: config.S3_BUCKET,
    region: config.AWS_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS,
    maxSockets: config.MAX_WORKERS,
  });
}
