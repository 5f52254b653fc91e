// What an earlier process left in the spool directory: its segments, sealed or still open when
// it stopped (a crash, or a shutdown deadline). Open ones are sealed as they are: the reader's
// checksums drop a torn last frame. Each segment's payloads are counted from its frame headers,
// without reading the payloads. A segment's routes (PARTITION_BY) are read with it; routes whose
// segment is gone are removed.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync } from "node:fs";
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
  /**
   * PARTITION_BY: the partitions its payloads went to, recorded before any went into an object
   * (a `.routes` file beside it), so that a replay routes each payload where it went before.
   */
  routes?: string[];
  /** PARTITION_BY: what an earlier process did with its shares (one per partition). */
  shares?: RecoveredShares;
}

/** A segment's shares that an earlier process wrote, or was writing. */
export interface RecoveredShares {
  /** Partitions whose share is in a written object: skipped. */
  written: Set<string>;
  /** Partitions whose share is in an object it was completing: that object, to be written again exactly. */
  objects: Map<string, RecoveredObject>;
}

const SEGMENT = /^(\d{12})-(\d+)\.(seg|open)$/;
const ROUTES = /^(\d{12})\.routes$/;

/** The files of `dir` that an earlier process left for the next start: segments, and records of objects (object-records.ts). */
export function leftInSpool(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.(seg|open|object|written|routes)$/.test(f)) : [];
}

/** A segment's file name: its sequence number and creation time are its identity. */
export const segmentName = (seq: number, createdMs: number, suffix: "seg" | "open") => `${String(seq).padStart(12, "0")}-${createdMs}.${suffix}`;

/** The file of a segment's routes (PARTITION_BY). */
export const routesName = (seq: number) => `${String(seq).padStart(12, "0")}.routes`;

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
  const bySeq = new Map(segments.map((s) => [s.seq, s]));
  for (const file of readdirSync(dir)) {
    const m = ROUTES.exec(file);
    if (!m) continue;
    const segment = bySeq.get(Number(m[1]));
    // Its segment went (its objects are written) before its routes could: they route nothing now.
    if (segment) segment.routes = JSON.parse(readFileSync(join(dir, file), "utf8"));
    else unlinkSync(join(dir, file));
  }
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
