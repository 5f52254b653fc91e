// The one thing the upload loops need from a store. Implementations turn their own failures
// into a StoreError, so the loops decide retry and health without knowing the backend.
export interface PutOptions {
  contentType: string;
  contentEncoding?: string;
}

/** A part of a multipart upload, as CompleteMultipartUpload wants it. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/**
 * S3's multipart upload, for objects written a part at a time. Parts are 5 MiB at least, except
 * the last: S3 checks that when the upload is completed (EntityTooSmall).
 */
export interface MultipartUploads {
  /** Starts an upload; resolves to its id. */
  create(key: string, options: PutOptions): Promise<string>;
  /** Uploads (or uploads again) one part; resolves to its ETag. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string>;
  /** Makes the object of these parts, in part-number order. */
  complete(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void>;
  /** Drops an upload and its parts; an upload that no longer exists is not an error. */
  abort(key: string, uploadId: string): Promise<void>;
}

export interface ObjectStore {
  /** Where objects go, for the start-up log line (`s3://bucket` or a directory). */
  readonly location: string;
  put(key: string, body: Uint8Array, options: PutOptions): Promise<void>;
  readonly multipart: MultipartUploads;
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
  "no_such_upload",
  "unknown",
  ...["enospc", "edquot", "eio", "eacces", "eperm", "erofs", "enoent", "enotdir", "eisdir", "emfile", "enfile", "ebusy", "other"].map(
    (c) => `fs_${c}`,
  ),
] as const;

/** A type's index in STORE_ERROR_TYPES, as StoreHealth keeps it; "unknown" for a type not listed. */
export const storeErrorIndex = (type: string): number => {
  const i = (STORE_ERROR_TYPES as readonly string[]).indexOf(type);
  return i < 0 ? STORE_ERROR_TYPES.indexOf("unknown") : i;
};

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
