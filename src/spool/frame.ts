// The spool's record format. One frame per acknowledged collection:
//   u32 LE length of the NDJSON | u32 LE CRC-32 of the NDJSON | u32 LE payload count | NDJSON
// A torn or corrupt frame (power loss mid-write) fails its length or checksum, and decoding
// stops there: everything before it is whole, nothing after it can be trusted.
import { crc32 } from "node:zlib";

export const FRAME_HEADER_BYTES = 12;

/** The 12 bytes that go before `ndjson` on disk: written beside it, so the NDJSON is never copied. */
export function frameHeader(ndjson: Uint8Array, payloads: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, ndjson.length, true);
  view.setUint32(4, crc32(ndjson), true);
  view.setUint32(8, payloads, true);
  return header;
}

/** A whole frame in one buffer. */
export function encodeFrame(ndjson: Uint8Array, payloads: number): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + ndjson.length);
  frame.set(frameHeader(ndjson, payloads), 0);
  frame.set(ndjson, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodedSegment {
  /** Every whole frame's NDJSON, concatenated: a view into the decoded buffer itself. */
  ndjson: Uint8Array;
  payloads: number;
  frames: number;
  /** Bytes at the end that did not form a whole, valid frame (0 for a clean segment). */
  badTailBytes: number;
}

/** Decodes in place: the frames' NDJSON is moved together at the start of `data`, which is overwritten. */
export function decodeFrames(data: Uint8Array): DecodedSegment {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let payloads = 0;
  let frames = 0;
  let total = 0;
  while (at + FRAME_HEADER_BYTES <= data.length) {
    const length = view.getUint32(at, true);
    const start = at + FRAME_HEADER_BYTES;
    const end = start + length;
    if (end > data.length) break;
    if (crc32(data.subarray(start, end)) !== view.getUint32(at + 4, true)) break;
    payloads += view.getUint32(at + 8, true);
    data.copyWithin(total, start, end); // leftwards: never over bytes not read yet
    total += length;
    frames++;
    at = end;
  }
  return { ndjson: data.subarray(0, total), payloads, frames, badTailBytes: data.length - at };
}
