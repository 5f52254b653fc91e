// The one thing the upload loops need from a store. Implementations turn their own failures
// into a StoreError, so the loops decide retry and health without knowing the backend.
export interface PutOptions {
  contentType: string;
  contentEncoding?: string;
}

export interface ObjectStore {
  /** Where objects go, for the start-up log line (`s3://bucket` or a directory). */
  readonly location: string;
  put(key: string, body: Uint8Array, options: PutOptions): Promise<void>;
}

/** Every StoreError type, so that metrics can keep one series per type. */
export const STORE_ERROR_TYPES = [
  "network",
  "timeout",
  "throttled",
  "transient",
  "server_error",
  "credentials",
  "access_denied",
  "no_such_bucket",
  "client_error",
  "unknown",
  ...["enospc", "edquot", "eio", "eacces", "eperm", "erofs", "enoent", "enotdir", "eisdir", "emfile", "enfile", "ebusy", "other"].map(
    (c) => `fs_${c}`,
  ),
] as const;

export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    /** Low-cardinality label for metrics: `network`, `throttled`, `access_denied`... */
    readonly type: string,
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
