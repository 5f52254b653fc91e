// Reads a sealed segment file back: into the caller's buffer when it is large enough (upload
// loops reuse one buffer per batch), then decoded in place.
import { open } from "node:fs/promises";
import { type DecodedSegment, decodeFrames } from "./frame.ts";

export async function readSegment(path: string, into?: Uint8Array): Promise<DecodedSegment> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const buffer = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buffer, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return decodeFrames(buffer.subarray(0, at));
  } finally {
    await fh.close();
  }
}
