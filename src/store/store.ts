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
