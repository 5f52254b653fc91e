// The shutdown deadline's hand-over: what objects not yet complete hold that is not in the
// store. Frames not in an uploaded part go back to NDJSON, to be saved for the next start; an
// upload whose parts are in is completed with those parts, and with the tail its format gives
// for the frames in them, so those bytes need no saving. Objects of batches the buffer keeps
// (spool segments) hand over nothing: the segments stay, and their record names the upload to
// abort.

import { prefixLines } from "../partition/line-prefix.ts";
import type { Batch } from "../queue/batch.ts";
import type { CompletedPart } from "../store/store.ts";
import type { PlacedFrame } from "./format.ts";
import type { FramePool } from "./frame-pool.ts";
import type { OpenObject } from "./open-object.ts";

/** What the shutdown deadline finds not yet in a completed object. */
export interface Unfinished {
  /** Frames not in an uploaded part, decoded: NDJSON to save. */
  batches: Batch[];
  /** Uploads whose parts are in the store: uploading `tail` (if not empty) as one more part, then completing them with the parts, writes the rest. */
  uploads: { key: string; uploadId: string; parts: CompletedPart[]; tail: Uint8Array; payloads: number }[];
}

/** The object's frames with meta that lie in `[offset, offset + length)`, their offsets from `at` on. */
function framesIn(object: OpenObject, offset: number, length: number, at = 0): PlacedFrame[] {
  const frames: PlacedFrame[] = [];
  for (const f of object.placed) if (f.offset >= offset && f.offset < offset + length) frames.push({ ...f, offset: f.offset - offset + at });
  return frames;
}

/** The tail for an object of exactly its parts in the store, in part order. */
function tailOf(object: OpenObject): Uint8Array {
  if (object.placed.length === 0) return object.format.tail([]);
  const frames: PlacedFrame[] = [];
  let at = 0;
  for (const part of [...object.parts].sort((a, b) => a.partNumber - b.partNumber)) {
    frames.push(...framesIn(object, part.offset, part.length, at));
    at += part.length;
  }
  return object.format.tail(frames);
}

/**
 * @param linePrefixes PARTITION_BY=version: the saved lines get their object's partition back as a prefix, to be routed there again.
 */
export async function handOver(objects: Iterable<OpenObject>, pool: FramePool, linePrefixes: boolean): Promise<Unfinished> {
  const batches: Batch[] = [];
  const decoding: Promise<void>[] = [];
  const uploads: Unfinished["uploads"] = [];
  for (const o of objects) {
    clearTimeout(o.timer);
    if (o.held.length > 0 || o.shares.length > 0) continue;
    const save = (ndjson: Uint8Array, payloads: number) =>
      batches.push({ ndjson: linePrefixes ? prefixLines(ndjson, o.partition) : ndjson, payloads });
    const unshipped = { body: pool.unshipped(o), payloads: o.framePayloads, offset: o.bytes - o.frameBytes };
    for (const p of [...o.shipping.values(), unshipped]) {
      // Copied first: the frames' buffers go back to the pool.
      const body = p.body.slice();
      if (p.payloads > 0) decoding.push(o.format.toNdjson(body, framesIn(o, p.offset, body.length)).then((ndjson) => void save(ndjson, p.payloads)));
    }
    for (const c of o.compressing) save(c.ndjson, c.payloads);
    if (o.stage && o.stagePayloads > 0) save(o.stage.subarray(0, o.stageBytes), o.stagePayloads);
    if (o.parts.length > 0 && o.createdUploadId) {
      const parts = o.parts.map(({ partNumber, etag }) => ({ partNumber, etag }));
      uploads.push({ key: o.key, uploadId: o.createdUploadId, parts, tail: tailOf(o), payloads: o.parts.reduce((n, p) => n + p.payloads, 0) });
    }
  }
  await Promise.all(decoding);
  return { batches, uploads };
}
