// The spool's record format. One frame per acknowledged collection:
//   u32 LE length of the NDJSON | u32 LE CRC-32 of the NDJSON | u32 LE payload count | NDJSON
// A torn or corrupt frame (power loss mid-write) fails its length or checksum, and decoding
// stops there: everything before it is whole, nothing after it can be trusted.
import { crc32 } from "node:zlib";

export const FRAME_HEADER_BYTES = 12;

export function encodeFrame(ndjson: Uint8Array, records: number): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + ndjson.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, ndjson.length, true);
  view.setUint32(4, crc32(ndjson), true);
  view.setUint32(8, records, true);
  frame.set(ndjson, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodedSegment {
  /** Every whole frame's NDJSON, concatenated. */
  ndjson: Uint8Array;
  records: number;
  frames: number;
  /** Bytes at the end that did not form a whole, valid frame (0 for a clean segment). */
  badTailBytes: number;
}

export function decodeFrames(data: Uint8Array): DecodedSegment {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  let at = 0;
  let records = 0;
  let total = 0;
  while (at + FRAME_HEADER_BYTES <= data.length) {
    const length = view.getUint32(at, true);
    const end = at + FRAME_HEADER_BYTES + length;
    if (end > data.length) break;
    const ndjson = data.subarray(at + FRAME_HEADER_BYTES, end);
    if (crc32(ndjson) !== view.getUint32(at + 4, true)) break;
    parts.push(ndjson);
    records += view.getUint32(at + 8, true);
    total += length;
    at = end;
  }
  const ndjson = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    ndjson.set(p, offset);
    offset += p.length;
  }
  return { ndjson, records, frames: parts.length, badTailBytes: data.length - at };
}
