// Reads a request body under a byte limit and a deadline, without ever holding more than the
// limit: a declared Content-Length over it is refused before reading, a chunked body is cut off
// as soon as it passes it, a gzip body is inflated with the same bound on its output (zip bombs
// get 413), and a body that has not arrived by REQUEST_TIMEOUT_MS gets 408 (deadlines.ts).
import { gunzipSync } from "node:zlib";
import { HttpError } from "../errors.ts";
import { Deadlines } from "./deadlines.ts";

const tooLarge = (limit: number) => new HttpError("PAYLOAD_TOO_LARGE", `request body exceeds MAX_BODY_BYTES (${limit} bytes)`);

export type BodyEncoding = "identity" | "gzip";

/** The body's encoding from Content-Encoding; anything but gzip and identity is a 415. */
export function bodyEncoding(header: string | null): BodyEncoding {
  if (header === null) return "identity";
  const value = header.trim().toLowerCase();
  if (value === "" || value === "identity") return "identity";
  if (value === "gzip" || value === "x-gzip") return "gzip";
  throw new HttpError("UNSUPPORTED_ENCODING", "Content-Encoding must be gzip or identity");
}

async function readRaw(request: Request, limit: number, deadlines: Deadlines, startedAt: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    // HTTP framing holds the body to its Content-Length, so reading it whole is bounded.
    if (Number(declared) > limit) throw tooLarge(limit);
    return deadlines.race(request.arrayBuffer(), startedAt).then((b) => new Uint8Array(b));
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  return deadlines.race(readChunks(reader, limit), startedAt).catch((err) => {
    void reader.cancel().catch(() => {}); // not awaited: on a live socket Bun's cancel can hang
    throw err;
  });
}

/** A chunked body, cut off as soon as it passes `limit`. */
async function readChunks(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    total += value.length;
    if (total > limit) throw tooLarge(limit);
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** REQUEST_TIMEOUT_MS's deadlines: a slow client (a trickled or stalled body) gets 408, and its connection is closed. */
export const requestDeadlines = (timeoutMs: number) =>
  new Deadlines(timeoutMs, () => new HttpError("REQUEST_TIMEOUT", "the request body did not arrive within REQUEST_TIMEOUT_MS"));

/** `startedAt` is when the request arrived, on `deadlines`' clock. */
export async function readBody(
  request: Request,
  limit: number,
  encoding: BodyEncoding,
  deadlines: Deadlines,
  startedAt: number,
): Promise<Uint8Array> {
  const raw = await readRaw(request, limit, deadlines, startedAt);
  if (encoding === "identity") return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(limit);
    throw new HttpError("INVALID_GZIP", "body is declared gzip but is not a complete gzip stream", { cause: err });
  }
}
