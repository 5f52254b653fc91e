// The buffer between the HTTP thread and the upload loops, in one of two kinds chosen once at
// start-up, as Vector's buffers are. Memory: the shared ring; a 200 means the collection is in
// it. Disk: the same ring in front of a spool; a 200 means the collection is fsync'd there. The
// HTTP thread writes into it (BufferWriter), the upload loops read batches out of it
// (IngestBuffer). No code outside src/buffer/ asks which kind it is: a batch the buffer keeps
// until its object is complete says so (ReadBatch.segment), and comes with the journal its
// objects are recorded in (journal.ts).
import type { Batch } from "../queue/batch.ts";
import type { RingSetMemory } from "../queue/ring-set.ts";
import type { JournalRecord, ObjectJournal } from "./journal.ts";

export type BufferType = "memory" | "disk";

/** What the HTTP threads are handed to write into the buffer: shared memory only. */
export interface BufferMemory {
  type: BufferType;
  /** The queue: one ring per HTTP thread (HTTP_THREADS). */
  queue: RingSetMemory;
  /** Disk mode's acknowledgements (queue/acks.ts), one per ring. */
  acks: SharedArrayBuffer[];
  /** The spool's size, as the upload side publishes it (BufferStats). */
  stats: SharedArrayBuffer;
  /** SPOOL_MAX_BYTES: disk mode refuses collections past it. */
  spoolMaxBytes: number;
}

/** "full": nothing was queued, there is no room. "failed": disk mode could not store it. */
export type Pushed = "ok" | "full" | "failed";

/** An HTTP thread's side: its own ring of the queue. */
export interface BufferWriter {
  /** Whether one more payload could fit: checked before a body is read. */
  hasRoom(): boolean;
  /** Waits until one more payload could fit, or `until` (a performance.now() time) passes; whether it fits. */
  whenRoom(until: number): Promise<boolean>;
  /**
   * Queues the payloads at `spans` of `body`, all or none, each after `prefix` if given
   * (partition/line-prefix.ts); disk mode answers once they are fsync'd. When they do not fit,
   * waits for room until `until` (performance.now()) before it answers "full". @default until 0: no wait
   */
  push(body: Uint8Array, spans: readonly number[], prefix?: Uint8Array, until?: number): Pushed | Promise<Pushed>;
  /** Answers what can be answered: the HTTP thread calls it from the request path. Cheap when idle. */
  poll(): void;
}

/** The name an object must have, when the buffer fixes it: a spool segment's, so that an upload repeated after a crash overwrites it. */
export interface ObjectName {
  timeMs: number;
  instanceId: string;
  sequence: number;
}

/** A batch for an upload loop. */
export interface ReadBatch {
  batch: Batch;
  /** Set when the buffer keeps the batch until every object holding it is complete (a spool segment). */
  segment?: HeldBatch;
  /**
   * The buffer may forget the batch. A `segment` is released once its objects are complete; any
   * other batch once it is encoded into an object, which keeps it from then on.
   */
  release(): Promise<void> | void;
}

/** What the upload side needs of a batch the buffer keeps until its objects are complete. */
export interface HeldBatch {
  /** Fixes the name of an object it starts, so that an upload repeated after a crash overwrites it. */
  name: ObjectName;
  /** Set when an earlier process was completing an object of it: written again with exactly the same batches, under the same key. */
  resumes?: ResumedObject;
  /** Its shares (PARTITION_BY): each partition's payloads, which go into that partition's objects. */
  shares: SegmentShares;
}

/** An object an earlier process was completing: written again from exactly its batches, under its record's base key. */
export interface ResumedObject {
  record: JournalRecord;
  /** How many batches it holds: it is complete once all are in. */
  batches: number;
}

/** What the buffer knows of a held batch's shares (one per partition, PARTITION_BY), and how to record where they go. */
export interface SegmentShares {
  /** The partitions its payloads went to, if recorded before: each payload goes where it went then. */
  routes?: readonly string[];
  /** An earlier process's objects of its shares: written ones to skip, and ones it was completing, by partition. */
  recovered?: ResumedShares;
  /** Records the partitions its payloads go to: call before any goes into an object. */
  record(routes: readonly string[]): Promise<void>;
}

/** A held batch's shares that an earlier process wrote, or was writing. */
export interface ResumedShares {
  /** Partitions whose share is in a written object: skipped. */
  written: ReadonlySet<string>;
  /** Partitions whose share is in an object it was completing: that object, to be written again exactly. */
  objects: ReadonlyMap<string, ResumedObject>;
}

/** Where upload loops take batches from. */
export interface BatchReader {
  /** Payloads (memory) or segments (disk) waiting to be read. */
  readonly length: number;
  /** The next batch, read into `scratch` when it fits; null once the buffer is closed and empty. */
  next(scratch: Uint8Array): Promise<ReadBatch | null>;
}

/** What the shutdown deadline kept for the next start. */
export interface Kept {
  /** Acknowledged payloads that were only in memory, now saved to SPOOL_DIR. */
  saved: number;
  /** Spool segments left in SPOOL_DIR for the next start to upload. */
  segments: number;
}

/** One reader of the buffer, as the upload side is given it. */
export interface BufferReader {
  reader: BatchReader;
  /** How many upload loops read it. */
  loops: number;
  /** Where objects made of its batches are recorded: the spool's records for its segments, or noJournal. */
  journal: ObjectJournal;
  /** Bytes of held batches one object may hold: past them it is completed, so they can go. Absent: the reader holds none. */
  maxHeldBytes?: number;
}

/** The upload side's view. */
export interface IngestBuffer {
  readonly type: BufferType;
  readonly memory: BufferMemory;
  readonly readers: readonly BufferReader[];
  start(): void;
  /** Write what is queued now instead of waiting for batches to fill (shutdown). */
  flush(): void;
  /** No more input: every reader ends (null) once it has handed out what the buffer holds. */
  close(): Promise<void>;
  /** Acknowledged payloads not in the store yet, in memory or in the spool (being uploaded included). */
  readonly unwritten: number;
  /** Of those, the ones held only in memory: what a crash would lose. */
  readonly unsaved: number;
  /**
   * At the shutdown deadline: keeps what is not written for the next start, with `more`, the
   * batches the upload loops had taken out of it and not written; refuses writes from then on.
   */
  keepRemaining(more?: readonly Batch[]): Promise<Kept>;
}
