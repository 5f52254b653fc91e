// Turns a batch of payloads into one object body: NDJSON (one payload per line), gzip'd or not.
// A lone payload with no compression is stored as plain JSON, exactly like the seed's objects.
import { gzip } from "node:zlib";
import { promisify } from "node:util";

const gzipAsync = promisify(gzip);
const NEWLINE = 0x0a;

export type Compression = "gzip" | "none";

export interface EncodedBatch {
  body: Uint8Array;
  extension: string;
  contentType: string;
  contentEncoding?: string;
}

export function ndjson(payloads: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of payloads) total += p.length + 1;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
    out[at++] = NEWLINE;
  }
  return out;
}

export async function encodeBatch(payloads: readonly Uint8Array[], compression: Compression): Promise<EncodedBatch> {
  if (compression === "none" && payloads.length === 1) {
    return { body: payloads[0]!, extension: ".json", contentType: "application/json" };
  }
  const lines = ndjson(payloads);
  if (compression === "none") return { body: lines, extension: ".ndjson", contentType: "application/x-ndjson" };
  // Off the event loop: zlib's async API runs on a worker thread, so requests keep flowing.
  const body = new Uint8Array(await gzipAsync(lines));
  return { body, extension: ".ndjson.gz", contentType: "application/x-ndjson", contentEncoding: "gzip" };
}
