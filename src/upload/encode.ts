// Turns a batch of NDJSON (one payload per line) from the queue into one object body, compressed with
// zstd or gzip, or not. A lone payload with no compression is stored as plain JSON, exactly like
// the seed's objects. Compression runs off the event loop, so requests keep flowing meanwhile.

import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Batch } from "../queue/batch.ts";
import { zstdCompress } from "../runtime.ts";

const gzipAsync = promisify(gzip);

export type Compression = "zstd" | "gzip" | "none";

/** COMPRESSION_LEVEL 0 means these. zstd 1 beat gzip 6 on ratio and was 7x faster (BENCHMARKS.md). */
export const DEFAULT_LEVEL = { zstd: 1, gzip: 6 } as const;

export interface EncodedBatch {
  body: Uint8Array;
  extension: string;
  contentType: string;
  contentEncoding?: string;
}

/**
 * @param level COMPRESSION_LEVEL; 0 picks the codec's default. @default 0
 * @example
 * const { body, extension } = await encodeBatch(batch, "zstd"); // extension ".ndjson.zst"
 */
export async function encodeBatch(batch: Batch, compression: Compression, level = 0): Promise<EncodedBatch> {
  const lines = batch.ndjson;
  // Uncompressed bodies are copied: `lines` is the upload loop's reusable buffer, and a put that
  // timed out may still be reading its body when the loop moves on.
  if (compression === "none" && batch.payloads === 1) {
    return { body: lines.slice(0, lines.length - 1), extension: ".json", contentType: "application/json" };
  }
  const type = "application/x-ndjson";
  if (compression === "none") return { body: lines.slice(), extension: ".ndjson", contentType: type };
  if (compression === "zstd") {
    const body = await zstdCompress(lines, level || DEFAULT_LEVEL.zstd);
    return { body, extension: ".ndjson.zst", contentType: type, contentEncoding: "zstd" };
  }
  const body = new Uint8Array(await gzipAsync(lines, { level: level || DEFAULT_LEVEL.gzip }));
  return { body, extension: ".ndjson.gz", contentType: type, contentEncoding: "gzip" };
}
