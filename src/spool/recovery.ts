// What an earlier process left in the spool directory: its segments, sealed or still open when
// it stopped (a crash, or a shutdown deadline). Open ones are sealed as they are: the reader's
// checksums drop a torn last frame. Each segment's payloads are counted from its frame headers,
// without reading the payloads.
import { closeSync, existsSync, openSync, readdirSync, readSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { syncDir } from "./directory.ts";
import { FRAME_HEADER_BYTES } from "./frame.ts";
import type { RecoveredObject } from "./object-records.ts";

export interface Segment {
  seq: number;
  createdMs: number;
  path: string;
  bytes: number;
  /** Payloads in its whole frames. */
  payloads: number;
  /** Set when an earlier process was completing an object of this segment: that object, to be written again exactly. */
  object?: RecoveredObject;
}

const SEGMENT = /^(\d{12})-(\d+)\.(seg|open)$/;

/** The files of `dir` that an earlier process left for the next start: segments, and records of objects (object-records.ts). */
export function leftInSpool(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.(seg|open|object|written)$/.test(f)) : [];
}

/** A segment's file name: its sequence number and creation time are its identity. */
export const segmentName = (seq: number, createdMs: number, suffix: "seg" | "open") => `${String(seq).padStart(12, "0")}-${createdMs}.${suffix}`;

/** The segments in `dir`, oldest first, all sealed; and the sequence number to go on from. */
export function recoverSegments(dir: string): { segments: Segment[]; nextSeq: number } {
  const segments: Segment[] = [];
  let nextSeq = 0;
  for (const file of readdirSync(dir)) {
    const m = SEGMENT.exec(file);
    if (!m) continue;
    const seq = Number(m[1]);
    const createdMs = Number(m[2]);
    let path = join(dir, file);
    if (m[3] === "open") {
      const sealedPath = join(dir, segmentName(seq, createdMs, "seg"));
      renameSync(path, sealedPath);
      path = sealedPath;
    }
    const bytes = statSync(path).size;
    segments.push({ seq, createdMs, path, bytes, payloads: countPayloads(path, bytes) });
    nextSeq = Math.max(nextSeq, seq + 1);
  }
  segments.sort((a, b) => a.seq - b.seq);
  syncDir(dir);
  return { segments, nextSeq };
}

/** The payload counts of the frames whose header and length fit in the file: one small read per frame. */
function countPayloads(path: string, size: number): number {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const fd = openSync(path, "r");
  try {
    let payloads = 0;
    for (let at = 0; at + FRAME_HEADER_BYTES <= size; ) {
      if (readSync(fd, header, 0, FRAME_HEADER_BYTES, at) < FRAME_HEADER_BYTES) break;
      const end = at + FRAME_HEADER_BYTES + view.getUint32(0, true);
      if (end > size) break;
      payloads += view.getUint32(8, true);
      at = end;
    }
    return payloads;
  } finally {
    closeSync(fd);
  }
}
