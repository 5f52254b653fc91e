// The state of one object being built: its key, its frames not yet in a part, the parts being
// uploaded and those in, the stages of partition payloads, and the buffer's batches it holds.
// Plain state: the pool (frame-pool.ts), staging (staging.ts), multipart upload (multipart.ts)
// and the held segments (held-segments.ts) act on it; the writer (object-writer.ts) decides.
import type { HeldBatch, ReadBatch, ResumedObject } from "../buffer/buffer.ts";
import type { JournalRecord } from "../buffer/journal.ts";
import type { CompletedPart } from "../store/store.ts";
import type { ObjectFormat, PlacedFrame } from "./format.ts";

/** Whole frames of an object, back to back: a part, or a whole object written with one PUT. */
export interface Part {
  body: Uint8Array;
  payloads: number;
  /** Its first byte's offset in the object. */
  offset: number;
  /** The reusable buffer `body` lies in; null for frames that were not copied into one. */
  buffer: Uint8Array | null;
}

/** A batch the buffer keeps until this object is complete (a spool segment). */
export type HeldRead = ReadBatch & { segment: HeldBatch };

/** A segment whose shares are in objects not all complete yet (held-segments.ts). */
export interface HeldSegment {
  read: HeldRead;
  bytes: number;
  /** The objects holding a share of it that are not complete yet. */
  holders: Set<OpenObject>;
  /** Complete objects whose record waits for it to be released. */
  waiting: OpenObject[];
}

export class OpenObject {
  /**
   * Frames not in a part yet (frame-pool.ts): while they are small, copied into pooled chunks
   * (`chunkBytes` of them used), or, when it is to be the only one (OBJECT_MAX_AGE_MS=0), the
   * frame as it came (`onlyFrame`); else back to back in a part buffer (`filling`).
   */
  onlyFrame: Uint8Array | null = null;
  chunks: Uint8Array[] = [];
  chunkBytes = 0;
  filling: Uint8Array | null = null;
  frameBytes = 0;
  framePayloads = 0;
  /** Frames that carry metadata for the format's tail, in order. */
  readonly placed: PlacedFrame[] = [];
  /** Parts being uploaded, by number, until the store has them. */
  readonly shipping = new Map<number, Part & { upload: Promise<void> }>();
  /** Parts in the store, with where they lie in the object (the shutdown deadline completes the upload with them). */
  readonly parts: (CompletedPart & { payloads: number; offset: number; length: number })[] = [];
  nextPart = 1;
  uploadId: Promise<string> | null = null;
  createdUploadId: string | null = null;
  /** Bytes placed: head and frames. */
  bytes = 0;
  payloads = 0;
  /** NDJSON gathered to be compressed as one frame (staging.ts): its buffer, bytes and payloads. */
  stage: Uint8Array | null = null;
  stageBytes = 0;
  stagePayloads = 0;
  /** Stages being compressed, with their NDJSON until their frame is in. */
  readonly compressing = new Set<{ ndjson: Uint8Array; payloads: number; done: Promise<void> }>();
  /** Batches the buffer keeps until this object is complete (spool segments), and their bytes. */
  readonly held: HeldRead[] = [];
  heldBytes = 0;
  /** Spool segments it holds a share of (held-segments.ts). */
  readonly shares: HeldSegment[] = [];
  /** Its payloads that the buffer keeps until it is complete. */
  spoolPayloads = 0;
  /** Once complete: its shares' segments not released yet. Its record stays until they are, as it says which shares of them are written. */
  segmentsLeft = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: Promise<void> | null = null;

  constructor(
    /** The key without its extension. */
    readonly base: string,
    /** Its partition (`field=value`), or "" without PARTITION_BY. */
    readonly partition: string,
    readonly format: ObjectFormat,
    /** Its record in the journal: set for objects of batches the buffer keeps. */
    readonly record: JournalRecord | null,
    /** Set when it is an object an earlier process was completing. */
    readonly resumes?: ResumedObject,
  ) {}

  get key(): string {
    return this.base + this.format.extension;
  }

  /** The sequence numbers of the segments it holds, whole or a share of: what its record is sealed with. */
  get segments(): number[] {
    return [...this.held.map((read) => read.segment.name.sequence), ...this.shares.map((share) => share.read.segment.name.sequence)];
  }
}
