// The spool's open segment: appends with group commit, and sealing. Every frame that arrives
// while a write and its fsync run goes into the next one, so one fsync covers them all. An
// append resolves only once its frame is on disk and fsync'd, or rejects with SpoolWriteError.
// The segment is sealed (renamed `.seg` and handed to `sealed`) once it holds segmentMaxBytes or
// segmentMaxPayloads, segmentMaxAgeMs after it opened, after a failed write (its tail is then
// unknown: the reader's checksums drop a torn one), or when asked. The caller owns the directory
// (its lock), counts bytes and payloads in before it appends, and is told of every change.
import { open as openFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { syncDir } from "./directory.ts";
import { FRAME_HEADER_BYTES, frameHeader } from "./frame.ts";
import { type Segment, segmentName } from "./recovery.ts";

/** The open segment's file: what the spool writes through, so tests can make writes fail. */
export interface SegmentFile {
  writev(buffers: Uint8Array[]): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export class SpoolWriteError extends Error {
  override name = "SpoolWriteError";
}

export interface SegmentWriterOptions {
  dir: string;
  segmentMaxBytes: number;
  segmentMaxPayloads: number;
  segmentMaxAgeMs: number;
  now: () => number;
  /** Creates a new segment file. @default node:fs, exclusive create */
  createFile?: (path: string) => Promise<SegmentFile>;
}

/** What the writer tells its spool. */
export interface SegmentEvents {
  /** A segment is sealed: its file is `.seg` now, whole frames and maybe a torn tail. */
  sealed(segment: Segment): void;
  /** Bytes and payloads counted in that are not on disk after all (a failed write), or bytes on disk not counted (a torn tail); no change() of its own. */
  resized(bytes: number, payloads: number): void;
  /** A write or fsync failed: the disk may be full. */
  failed(): void;
  /** The size the spool reports changed (a segment opened or went). */
  changed(): void;
}

interface Pending {
  /** Each frame as two parts: its header, then its NDJSON. */
  frames: Uint8Array[];
  bytes: number;
  payloads: number;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

interface OpenSegment extends Segment {
  file: SegmentFile;
  timer: ReturnType<typeof setTimeout>;
}

const createForAppend = (path: string): Promise<SegmentFile> => openFile(path, "wx");
const emptyPending = (): Pending => ({ frames: [], bytes: 0, payloads: 0, waiters: [] });

/**
 * @example
 * const writer = new SegmentWriter({ dir, segmentMaxBytes, segmentMaxPayloads, segmentMaxAgeMs, now: Date.now }, nextSeq, events);
 * await writer.append(ndjson, payloads); // on disk and fsync'd
 * await writer.sealNow();                // the open segment sealed, if there is one
 */
export class SegmentWriter {
  private current: OpenSegment | null = null;
  private pending = emptyPending();
  private flushing: Promise<void> | null = null;
  private sealRequested = false;

  constructor(
    private readonly options: SegmentWriterOptions,
    private nextSeq: number,
    private readonly events: SegmentEvents,
  ) {}

  /** Whether a segment is open. */
  get isOpen(): boolean {
    return this.current !== null;
  }

  /** Whether frames are being written or a segment sealed. */
  get busy(): boolean {
    return this.flushing !== null;
  }

  /** NDJSON bytes one frame can bring to an empty segment. */
  get segmentRoom(): number {
    return this.options.segmentMaxBytes - FRAME_HEADER_BYTES;
  }

  /** NDJSON bytes one more frame can bring to the open segment before it is full (a whole segment's when none is open). */
  get openRoom(): number {
    return Math.max(0, this.segmentRoom - (this.current?.bytes ?? 0));
  }

  /** Appends one frame of `payloads` payloads; `ndjson` is written as it is, not copied: leave it unchanged until this settles. */
  append(ndjson: Uint8Array, payloads: number): Promise<void> {
    const p = this.pending;
    p.frames.push(frameHeader(ndjson, payloads), ndjson);
    p.bytes += FRAME_HEADER_BYTES + ndjson.length;
    p.payloads += payloads;
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  /** Seals the open segment now (shutdown), once the frames already appended are on disk. */
  async sealNow(): Promise<void> {
    this.requestSeal();
    while (this.flushing) await this.flushing;
  }

  private requestSeal(): void {
    if (!this.current) return;
    this.sealRequested = true;
    this.flushing ??= this.flushLoop();
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
          const { bytesWritten } = await segment.file.writev(group.frames);
          if (bytesWritten !== group.bytes) throw new Error(`short write: ${bytesWritten} of ${group.bytes} bytes (disk full?)`);
          await segment.file.datasync();
          segment.bytes += group.bytes;
          segment.payloads += group.payloads;
          for (const w of group.waiters) w.resolve();
          if (this.openRoom === 0 || segment.payloads >= this.options.segmentMaxPayloads) this.sealRequested = true;
        } catch (err) {
          // After a failed write or fsync the file's tail is unknown: seal it as it is (the reader's
          // checksums drop a torn tail) and start a new segment for the next collections.
          const error = new SpoolWriteError(`writing the spool failed: ${(err as Error).message}`, { cause: err });
          this.events.failed();
          for (const w of group.waiters) w.reject(error);
          this.events.resized(-group.bytes, -group.payloads);
          this.events.changed();
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
    const createdMs = this.options.now();
    const path = join(this.options.dir, segmentName(seq, createdMs, "open"));
    const file = await (this.options.createFile ?? createForAppend)(path);
    syncDir(this.options.dir); // the new file's name must survive a power loss as well as its data
    const timer = setTimeout(() => this.requestSeal(), this.options.segmentMaxAgeMs);
    timer.unref?.();
    this.current = { seq, createdMs, path, bytes: 0, file, payloads: 0, timer };
    this.events.changed();
    return this.current;
  }

  private async sealCurrent(): Promise<void> {
    const segment = this.current;
    if (!segment) return;
    this.current = null;
    clearTimeout(segment.timer);
    await segment.file.close().catch(() => {});
    const { size } = await stat(segment.path);
    this.events.resized(size - segment.bytes, 0); // a failed write may have left part of a frame
    if (size === 0) {
      await unlink(segment.path).catch(() => {});
      this.events.changed();
      return;
    }
    const path = join(this.options.dir, segmentName(segment.seq, segment.createdMs, "seg"));
    await rename(segment.path, path);
    syncDir(this.options.dir);
    this.events.sealed({ seq: segment.seq, createdMs: segment.createdMs, path, bytes: size, payloads: segment.payloads });
  }
}
