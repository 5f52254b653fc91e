// Picks the store from the config: S3 when S3_BUCKET is set (Bun's client or the AWS SDK),
// else the local directory.
import type { Config } from "../config.ts";
import { runtimeName } from "../runtime.ts";
import { createAwsSdkStore } from "./aws-sdk-store.ts";
import { createBunS3Store } from "./bun-s3-store.ts";
import { createLocalDirStore } from "./local-dir-store.ts";
import type { ObjectStore } from "./store.ts";

/** The S3 client actually used: Bun's native client exists only on Bun. */
const s3ClientFor = (config: Config) => (runtimeName === "bun" ? config.S3_CLIENT : "aws-sdk");

/**
 * @example
 * const store = createStore(config); // S3 when S3_BUCKET is set, else DATA_DIR
 * await store.put(key, body, { contentType: "application/x-ndjson", contentEncoding: "zstd" });
 */
export function createStore(config: Config): ObjectStore {
  if (!config.S3_BUCKET) return createLocalDirStore(config.DATA_DIR);
  const create = s3ClientFor(config) === "bun" ? createBunS3Store : createAwsSdkStore;
  return create({
    bucket: config.S3_BUCKET,
    region: config.AWS_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS,
    maxSockets: config.MAX_WORKERS,
  });
}
