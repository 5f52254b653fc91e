// One classification of S3 failures for both clients: a low-cardinality type for metrics, and
// whether trying again can help. Non-retryable ones need an operator (a policy, a bucket name).
import { StoreError } from "./store.ts";

const THROTTLING = new Set(["SlowDown", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);
const TIMEOUTS = new Set(["TimeoutError", "AbortError", "RequestTimeout", "Timeout"]);
const TRANSIENT = new Set(["RequestTimeTooSkewed", "ExpiredToken", "TokenRefreshRequired", "InternalError", "ServiceUnavailable"]);
const ACCESS = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "AccountProblem", "InvalidToken"]);
const CLIENT = new Set([
  "InvalidArgument",
  "InvalidRequest",
  "InvalidBucketName",
  "EntityTooLarge",
  "KeyTooLongError",
  "MethodNotAllowed",
  "MissingContentLength",
]);

/** `code` is the S3 error code (or the client's own name for it); `status` the HTTP status, if known. */
export function classifyS3Failure(code: string | undefined, status: number | undefined, message: string, cause: unknown): StoreError {
  const msg = `${code ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${message}`;
  const error = (type: string, retryable: boolean) => new StoreError(type, retryable, msg, { cause });
  if ((code && THROTTLING.has(code)) || status === 429 || status === 503) return error("throttled", true);
  if (code && TIMEOUTS.has(code)) return error("timeout", true);
  if ((code && TRANSIENT.has(code)) || status === 408) return error("transient", true);
  if (status !== undefined && status >= 500) return error("server_error", true);
  if (code === "NoSuchBucket") return error("no_such_bucket", false);
  if (code === "NoSuchUpload") return error("no_such_upload", false);
  if ((code && ACCESS.has(code)) || status === 403) return error("access_denied", false);
  if ((code && CLIENT.has(code)) || (status !== undefined && status >= 400)) return error("client_error", false);
  // No HTTP answer at all: refused, reset, DNS, credentials not resolvable yet.
  return error("network", true);
}
