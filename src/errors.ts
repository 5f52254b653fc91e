// The one error type of the HTTP edge: a stable UPPER_SNAKE code, an HTTP status and a message
// that never quotes the request (tokens and payloads stay out of error bodies).
export type ErrorCode =
  | "INVALID_JSON"
  | "INVALID_GZIP"
  | "VALIDATION"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNSUPPORTED_ENCODING"
  | "METHOD_NOT_ALLOWED"
  | "NOT_FOUND"
  | "QUEUE_FULL"
  | "DRAINING"
  | "UNAUTHORIZED"
  | "RATE_LIMITED"
  | "REQUEST_TIMEOUT"
  | "STORAGE_ERROR"
  | "INTERNAL";

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function errorResponse(error: HttpError): Response {
  return new Response(JSON.stringify({ error: error.code, message: error.message }), {
    status: error.status,
    headers: { "content-type": "application/json", ...error.headers },
  });
}
