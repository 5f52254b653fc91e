// Turns a batch of NDJSON (one payload per line) from the queue into one frame of an object:
// a zstd frame, a gzip member, or the NDJSON itself. An object is its frames one after another,
// which zstd, gzip and DuckDB all read as one stream (BENCHMARKS.md). An object of one payload
// with no compression is stored as plain JSON, exactly like the seed's objects. Compression runs
// off the event loop, so requests keep flowing meanwhile.

import { promisify } from "node:util";
import { gunzipSync, gzip, zstdDecompressSync } from "node:zlib";
import type { Batch } from "../queue/batch.ts";
import { zstdCompress } from "../runtime.ts";

const gzipAsync = promisify(gzip);

export type Compression = "zstd" | "gzip" | "none";

/** COMPRESSION_LEVEL 0 means these. zstd 1 beat gzip 6 on ratio and was 7x faster (BENCHMARKS.md). */
export const DEFAULT_LEVEL = { zstd: 1, gzip: 6 } as const;

/** How an object's bytes are encoded: its key's extension and its headers. */
export interface Encoding {
  compression: Compression;
  extension: string;
  contentType: string;
  contentEncoding?: string;
}

export interface EncodedBatch extends Encoding {
  body: Uint8Array;
}

const NDJSON = "application/x-ndjson";
const ENCODINGS: Record<Compression, Encoding> = {
  zstd: { compression: "zstd", extension: ".ndjson.zst", contentType: NDJSON, contentEncoding: "zstd" },
  gzip: { compression: "gzip", extension: ".ndjson.gz", contentType: NDJSON, contentEncoding: "gzip" },
  none: { compression: "none", extension: ".ndjson", contentType: NDJSON },
};

/** The encoding of a compression's frames, before there is a frame. */
export const encodingOf = (compression: Compression): Encoding => ENCODINGS[compression];

/**
 * @param level COMPRESSION_LEVEL; 0 picks the codec's default. @default 0
 * @example
 * const { body, extension } = await encodeBatch(batch, "zstd"); // extension ".ndjson.zst"
 */
export async function encodeBatch(batch: Batch, compression: Compression, level = 0): Promise<EncodedBatch> {
  const lines = batch.ndjson;
  // Uncompressed bodies are copied: `lines` is the upload loop's reusable buffer.
  if (compression === "none") return { ...ENCODINGS.none, body: lines.slice() };
  if (compression === "zstd") return { ...ENCODINGS.zstd, body: await zstdCompress(lines, level || DEFAULT_LEVEL.zstd) };
  return { ...ENCODINGS.gzip, body: new Uint8Array(await gzipAsync(lines, { level: level || DEFAULT_LEVEL.gzip })) };
}

/** An uncompressed object of exactly one payload: the payload alone, as `.json`. */
export function lonePayload(ndjson: Uint8Array): { body: Uint8Array; extension: string; contentType: string } {
  return { body: ndjson.subarray(0, ndjson.length - 1), extension: ".json", contentType: "application/json" };
}

/** A frame back to its NDJSON (the shutdown deadline saves unwritten frames to the spool). */
export function decodeFrame(body: Uint8Array, compression: Compression): Uint8Array {
  if (compression === "zstd") return new Uint8Array(zstdDecompressSync(body));
  if (compression === "gzip") return new Uint8Array(gunzipSync(body));
  return body;
}
