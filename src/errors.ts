// The one error type of the HTTP edge, and the catalog of its codes. Each code's HTTP status,
// default headers and meaning are declared once, here: call sites name the code and say what
// happened, and the README's error table is generated from this catalog (`bun run docs`).
// Messages never quote the request: tokens and payloads stay out of error bodies.

interface ErrorSpec {
  status: number;
  /** Headers every response with this code carries (a call site may add to them or override them). */
  headers?: Record<string, string>;
  /** When a client gets it: the README's error table. */
  when: string;
}

export const ERRORS = {
  INVALID_JSON: { status: 400, when: "The body isn't valid UTF-8 JSON" },
  INVALID_GZIP: { status: 400, when: "`Content-Encoding: gzip` but the body isn't a complete gzip stream" },
  UNAUTHORIZED: { status: 401, when: "`ALLOWED_TOKENS` or `TOKENS_FILE` is set, and the collection's token isn't in them" },
  NOT_FOUND: { status: 404, when: "Unknown path" },
  METHOD_NOT_ALLOWED: {
    status: 405,
    headers: { allow: "POST" },
    when: "Any method but POST on `/v1/collect`. The response carries `Allow: POST`",
  },
  REQUEST_TIMEOUT: {
    status: 408,
    headers: { connection: "close" },
    when: "The body didn't arrive within `REQUEST_TIMEOUT_MS`. The connection is closed",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    when: "One payload is over `MAX_PAYLOAD_BYTES`, or the body is over `MAX_BODY_BYTES`. This covers a declared Content-Length (refused before the body is read), a chunked body (cut off once it passes the limit) and a gzip body that inflates past the limit (zip bombs)",
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, when: "The Content-Type isn't `application/json` (parameters such as `charset` are fine)" },
  UNSUPPORTED_ENCODING: { status: 415, when: "A Content-Encoding other than `gzip` or `identity`" },
  VALIDATION: {
    status: 422,
    when: "The body doesn't match the schema: a field missing or of the wrong type, an empty `data`, more than `MAX_PAYLOADS_PER_REQUEST` payloads, or a payload that isn't an object. The message names the field path (`/data/3: Expected object`)",
  },
  RATE_LIMITED: {
    status: 429,
    // The call site sets the real wait: when the token's bucket has room again.
    headers: { "retry-after": "1" },
    when: "The token has sent more than `TOKEN_RATE_LIMIT_PER_SEC` requests per second. `Retry-After` says when to try again",
  },
  INTERNAL: { status: 500, when: "An unexpected failure in the service. It is logged at ERROR, without the request's content" },
  QUEUE_FULL: {
    status: 503,
    headers: { "retry-after": "1" },
    when: "The queue can't take the whole collection. Nothing from the request was queued. `Retry-After` is 1 s, or 10 s while the store is failing",
  },
  DRAINING: { status: 503, headers: { "retry-after": "1" }, when: "The service is shutting down. Retry on another instance" },
  STORAGE_ERROR: {
    status: 503,
    headers: { "retry-after": "1" },
    when: "Disk mode: the spool couldn't be written (ENOSPC, EIO, a read-only volume). Nothing was acknowledged",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * @example
 * throw new HttpError("RATE_LIMITED", "too many requests for this token", { headers: { "retry-after": "2" } });
 */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    const spec: ErrorSpec = ERRORS[code];
    this.status = spec.status;
    this.headers = { ...spec.headers, ...options.headers };
  }
}

export function errorResponse(error: HttpError): Response {
  return new Response(JSON.stringify({ error: error.code, message: error.message }), {
    status: error.status,
    headers: { "content-type": "application/json", ...error.headers },
  });
}

/** The README's table of statuses and codes. */
export function errorTable(): string {
  const rows = ["| Status | `error` | When |", "| --- | --- | --- |", '| 200 | | `{"accepted": N}`: all N payloads are in the queue |'];
  const byStatus = Object.entries(ERRORS as Record<string, ErrorSpec>).sort(([, a], [, b]) => a.status - b.status);
  for (const [code, spec] of byStatus) rows.push(`| ${spec.status} | \`${code}\` | ${spec.when} |`);
  return rows.join("\n");
}
