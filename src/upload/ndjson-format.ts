// The NDJSON object format: a frame is a batch's NDJSON as a zstd frame, a gzip member, or the
// NDJSON itself. An object is its frames one after another, which zstd, gzip and DuckDB all read
// as one stream (BENCHMARKS.md); it has no head and no tail. An object of one payload with no
// compression is stored as plain JSON, exactly like the seed's objects. Compression runs off the
// event loop, so requests keep flowing meanwhile.
import { promisify } from "node:util";
import { gunzipSync, gzip, zstdDecompressSync } from "node:zlib";
import type { Batch } from "../queue/batch.ts";
import { zstdCompress } from "../runtime.ts";
import type { Frame, ObjectFormat, SingleObject } from "./format.ts";

const gzipAsync = promisify(gzip);

export type Compression = "zstd" | "gzip" | "none";

/** COMPRESSION_LEVEL 0 means these. zstd 1 beat gzip 6 on ratio and was 7x faster (BENCHMARKS.md). */
export const DEFAULT_LEVEL = { zstd: 1, gzip: 6 } as const;

const NDJSON = "application/x-ndjson";
const HEADERS: Record<Compression, { extension: string; contentType: string; contentEncoding?: string }> = {
  zstd: { extension: ".ndjson.zst", contentType: NDJSON, contentEncoding: "zstd" },
  gzip: { extension: ".ndjson.gz", contentType: NDJSON, contentEncoding: "gzip" },
  none: { extension: ".ndjson", contentType: NDJSON },
};
const EMPTY = new Uint8Array(0);

/**
 * @param level COMPRESSION_LEVEL; 0 picks the codec's default. @default 0
 * @example
 * const format = ndjsonFormat("zstd");
 * const frame = await format.encode(batch); // a zstd frame; format.extension is ".ndjson.zst"
 */
export function ndjsonFormat(compression: Compression, level = 0): ObjectFormat {
  const format: ObjectFormat = {
    ...HEADERS[compression],
    head: EMPTY,
    encode: async (batch: Batch): Promise<Frame> => ({ body: await compress(batch.ndjson, compression, level), format }),
    tail: () => EMPTY,
    toNdjson: async (body) => decodeFrame(body, compression),
    ...(compression === "none" && { single: lonePayload }),
  };
  return format;
}

/** A batch's NDJSON as one frame. Uncompressed bodies are copied: `lines` is the upload loop's reusable buffer. */
async function compress(lines: Uint8Array, compression: Compression, level: number): Promise<Uint8Array> {
  if (compression === "none") return lines.slice();
  if (compression === "zstd") return zstdCompress(lines, level || DEFAULT_LEVEL.zstd);
  return new Uint8Array(await gzipAsync(lines, { level: level || DEFAULT_LEVEL.gzip }));
}

/** An uncompressed object of exactly one payload: the payload alone, as `.json`. */
export function lonePayload(ndjson: Uint8Array): SingleObject {
  return { body: ndjson.subarray(0, ndjson.length - 1), extension: ".json", contentType: "application/json" };
}

/** Frames back to their NDJSON: concatenated frames decode as one stream. */
export function decodeFrame(body: Uint8Array, compression: Compression): Uint8Array {
  if (compression === "zstd") return new Uint8Array(zstdDecompressSync(body));
  if (compression === "gzip") return new Uint8Array(gunzipSync(body));
  return body;
}
