// The disk spool: append-only segment files in SPOOL_DIR. In disk mode every collection is
// appended and fsync'd before its 200 (group commit: one fsync covers every collection that
// arrived while the previous one ran). A segment is sealed when it holds a batch's worth or is
// BATCH_MAX_WAIT_MS old, becomes exactly one object, and is deleted once that object is written.
// Its key comes from the segment's identity (spool id, sequence, creation time), so uploading it
// again after a crash overwrites the same object instead of adding a duplicate.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { newInstanceId } from "../shared/instance-id.ts";
import { type DecodedSegment, decodeFrames, FRAME_HEADER_BYTES, frameHeader } from "./frame.ts";

export interface Segment {
  seq: number;
  createdMs: number;
  path: string;
  bytes: number;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** A segment is sealed once its file reaches this many bytes (frame headers included) or records... */
  segmentMaxBytes: number;
  segmentMaxRecords: number;
  /** ...or this long after its first record. */
  segmentMaxAgeMs: number;
  now?: () => number;
  /** Told the spool's size whenever it changes (the shared state the HTTP thread reads). */
  onChange?: (stats: SpoolStats) => void;
}

export interface SpoolStats {
  bytes: number;
  /** Segments on disk whose object is not written yet. */
  segments: number;
  /** Of those, sealed ones no upload loop has taken yet. */
  sealed: number;
}

export class SpoolFullError extends Error {
  override name = "SpoolFullError";
}
export class SpoolWriteError extends Error {
  override name = "SpoolWriteError";
}

interface Pending {
  /** Each frame as two parts: its header, then its NDJSON. */
  frames: Uint8Array[];
  bytes: number;
  records: number;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

interface OpenSegment extends Segment {
  fh: FileHandle;
  records: number;
  timer: ReturnType<typeof setTimeout>;
}

const SEGMENT = /^(\d{12})-(\d+)\.(seg|open)$/;
const name = (seq: number, createdMs: number, suffix: "seg" | "open") => `${String(seq).padStart(12, "0")}-${createdMs}.${suffix}`;
const emptyPending = (): Pending => ({ frames: [], bytes: 0, records: 0, waiters: [] });

export class Spool {
  /** Persisted: names the objects of this spool's segments, across restarts. */
  readonly instanceId: string;
  private readonly sealed: Segment[] = [];
  private current: OpenSegment | null = null;
  private pending = emptyPending();
  private flushing: Promise<void> | null = null;
  private sealRequested = false;
  private nextSeq = 0;
  private usedBytes = 0;
  private taken = 0;
  private closed = false;
  private consumers: (() => void)[] = [];
  private readonly now: () => number;

  /** Opens (or creates) the spool directory; segments an earlier process left are sealed and queued. */
  constructor(private readonly o: SpoolOptions) {
    this.now = o.now ?? Date.now;
    mkdirSync(o.dir, { recursive: true });
    takeLock(join(o.dir, "lock"));
    const idFile = join(o.dir, "instance-id");
    try {
      this.instanceId = readFileSync(idFile, "utf8").trim();
    } catch {
      this.instanceId = newInstanceId();
      writeFileSync(idFile, this.instanceId);
    }
    const found: Segment[] = [];
    for (const file of readdirSync(o.dir)) {
      const m = SEGMENT.exec(file);
      if (!m) continue;
      const seq = Number(m[1]);
      const createdMs = Number(m[2]);
      let path = join(o.dir, file);
      if (m[3] === "open") {
        const sealedPath = join(o.dir, name(seq, createdMs, "seg"));
        renameSync(path, sealedPath);
        path = sealedPath;
      }
      found.push({ seq, createdMs, path, bytes: statSync(path).size });
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const s of found) {
      this.sealed.push(s);
      this.usedBytes += s.bytes;
    }
    syncDir(o.dir);
    this.changed();
  }

  private changed(): void {
    this.o.onChange?.({ bytes: this.usedBytes, segments: this.segments, sealed: this.sealed.length });
  }

  /** Bytes of every segment on disk, plus frames waiting for their fsync. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Segments on disk whose object is not written yet: the open one, sealed ones, ones being uploaded. */
  get segments(): number {
    return this.sealed.length + (this.current ? 1 : 0) + this.taken;
  }

  /** Sealed segments no upload loop has taken yet. */
  get sealedWaiting(): number {
    return this.sealed.length;
  }

  /** Whether a collection of `ndjsonBytes` would fit under SPOOL_MAX_BYTES now. */
  fits(ndjsonBytes: number): boolean {
    return this.usedBytes + ndjsonBytes + FRAME_HEADER_BYTES <= this.o.maxBytes;
  }

  /**
   * Resolves once the records are on disk and fsync'd; rejects with SpoolFullError or
   * SpoolWriteError. `ndjson` is written as it is, not copied: leave it unchanged until this
   * settles. With `enforceLimit` false the caller has checked SPOOL_MAX_BYTES already (disk mode
   * checks it before a collection is queued).
   */
  append(ndjson: Uint8Array, records: number, enforceLimit = true): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolWriteError("the spool is closed"));
    if (enforceLimit && !this.fits(ndjson.length)) {
      return Promise.reject(new SpoolFullError(`the spool holds ${this.usedBytes} bytes of SPOOL_MAX_BYTES ${this.o.maxBytes}`));
    }
    const frameBytes = FRAME_HEADER_BYTES + ndjson.length;
    this.usedBytes += frameBytes;
    this.changed();
    const p = this.pending;
    p.frames.push(frameHeader(ndjson, records), ndjson);
    p.bytes += frameBytes;
    p.records += records;
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.frames.length > 0 || this.sealRequested) {
      const group = this.pending;
      this.pending = emptyPending();
      if (group.frames.length > 0) {
        try {
          const segment = this.current ?? (await this.openSegment());
          // A full disk can end a write short without an error: that is a failure too, and the
          // frame it tore is dropped by the reader's checksum.
          const { bytesWritten } = await segment.fh.writev(group.frames);
          if (bytesWritten !== group.bytes) throw new Error(`short write: ${bytesWritten} of ${group.bytes} bytes (disk full?)`);
          await segment.fh.datasync();
          segment.bytes += group.bytes;
          segment.records += group.records;
          for (const w of group.waiters) w.resolve();
          if (this.openSegmentRoom === 0 || segment.records >= this.o.segmentMaxRecords) this.sealRequested = true;
        } catch (err) {
          // After a failed write or fsync the file's tail is unknown: seal it as it is (the reader's
          // checksums drop a torn tail) and start a new segment for the next collections.
          const error = new SpoolWriteError(`writing the spool failed: ${(err as Error).message}`, { cause: err });
          for (const w of group.waiters) w.reject(error);
          this.usedBytes -= group.bytes;
          this.changed();
          await this.sealCurrent().catch(() => {});
          continue;
        }
      }
      if (this.sealRequested) {
        this.sealRequested = false;
        await this.sealCurrent().catch(() => {});
      }
    }
    this.flushing = null;
  }

  private async openSegment(): Promise<OpenSegment> {
    const seq = this.nextSeq++;
    const createdMs = this.now();
    const path = join(this.o.dir, name(seq, createdMs, "open"));
    const fh = await open(path, "wx");
    syncDir(this.o.dir); // the new file's name must survive a power loss as well as its data
    const timer = setTimeout(() => this.requestSeal(), this.o.segmentMaxAgeMs);
    timer.unref?.();
    this.current = { seq, createdMs, path, bytes: 0, fh, records: 0, timer };
    this.changed();
    return this.current;
  }

  private requestSeal(): void {
    if (!this.current) return;
    this.sealRequested = true;
    this.flushing ??= this.flushLoop();
  }

  private async sealCurrent(): Promise<void> {
    const segment = this.current;
    if (!segment) return;
    this.current = null;
    clearTimeout(segment.timer);
    await segment.fh.close().catch(() => {});
    const size = statSync(segment.path).size;
    this.usedBytes += size - segment.bytes; // a failed write may have left part of a frame
    if (size === 0) {
      await unlink(segment.path).catch(() => {});
      this.changed();
      return;
    }
    const path = join(this.o.dir, name(segment.seq, segment.createdMs, "seg"));
    await rename(segment.path, path);
    syncDir(this.o.dir);
    this.sealed.push({ seq: segment.seq, createdMs: segment.createdMs, path, bytes: size });
    this.changed();
    this.wakeConsumer();
  }

  /** Seals the open segment now (shutdown), once the frames already appended are on disk. */
  async sealNow(): Promise<void> {
    this.requestSeal();
    while (this.flushing) await this.flushing;
  }

  /** No more appends; the consumer gets null once every sealed segment is taken. */
  async close(): Promise<void> {
    this.closed = true;
    await this.sealNow();
    this.wakeConsumer();
  }

  /** The oldest sealed segment, waiting for one; null once closed and empty. */
  async nextSealed(): Promise<Segment | null> {
    for (;;) {
      const s = this.sealed.shift();
      if (s) {
        this.taken++;
        this.changed();
        return s;
      }
      if (this.closed && !this.current && !this.flushing) return null;
      await new Promise<void>((resolve) => this.consumers.push(resolve));
    }
  }

  private wakeConsumer(): void {
    for (const c of this.consumers.splice(0)) c();
  }

  /** The segment's records; read into `into` when it is large enough, so upload loops can reuse one buffer. */
  async read(segment: Segment, into?: Uint8Array): Promise<DecodedSegment> {
    const fh = await open(segment.path, "r");
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

  /**
   * NDJSON bytes one more frame can bring to the open segment before it is full (a whole
   * segment's when none is open): so segment files stay within segmentMaxBytes, and fit the
   * upload loops' reusable buffers.
   */
  get openSegmentRoom(): number {
    return Math.max(0, this.segmentRoom - (this.current?.bytes ?? 0));
  }

  /** NDJSON bytes one frame can bring to an empty segment. */
  get segmentRoom(): number {
    return this.o.segmentMaxBytes - FRAME_HEADER_BYTES;
  }

  /** The segment's object is written: free its disk space. */
  async remove(segment: Segment): Promise<void> {
    await unlink(segment.path).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    });
    this.usedBytes -= segment.bytes;
    this.taken--;
    this.changed();
  }
}

/** Makes a rename durable: fsync the directory that holds it. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One process per spool: a second one would append to and delete the same segments. */
function takeLock(path: string): void {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const holder = Number(readFileSync(path, "utf8").trim());
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new SpoolWriteError(`SPOOL_DIR ${dirname(path)} is in use by process ${holder}: give each process its own`);
  }
  writeFileSync(path, String(process.pid)); // left by a process that is gone
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
