// The journal of objects built from batches that the buffer keeps until their object is complete
// (spool segments). The upload side records, for each object, its multipart upload, the exact
// segments it is sealed with, its completion and its end; after a crash the next start then
// neither loses those segments nor writes them twice. The buffer supplies the journal with its
// readers: the spool's records (spool/object-records.ts) for a spool's segments, and noJournal,
// which records nothing, for batches out of the ring. The upload side never asks which it has.

/** A multipart upload in the store. */
export interface UploadRef {
  key: string;
  uploadId: string;
}

/** One object's record: opaque to the upload side but for its key's base. Pass it back to its journal. */
export interface JournalRecord {
  /** The object's key without its extension. */
  readonly base: string;
}

/**
 * Calls arrive in this order for a record: open, started (if a multipart upload is created),
 * sealing, completed, finished. Each write is durable once its promise resolves; one that
 * rejects may be called again.
 */
export interface ObjectJournal {
  /** A new object's record, named by its first segment; `partition` for an object of segments' shares (PARTITION_BY). */
  open(base: string, firstSegment: number, partition: string): JournalRecord;
  /** The object's multipart upload was created: recorded before any part goes up, so that the next start aborts it. */
  started(record: JournalRecord, upload: UploadRef): Promise<void>;
  /** The object will be exactly these segments (by sequence): call before its final PUT or Complete. */
  sealing(record: JournalRecord, segments: readonly number[]): Promise<void>;
  /** The object is written: call before any of its segments is released. */
  completed(record: JournalRecord): Promise<void>;
  /** Its segments are released: the record goes, unless uploads are left to abort. */
  finished(record: JournalRecord): Promise<void>;
  /** Tells `listener` when the buffer runs out of room: objects holding segments should be completed, so those can go. */
  onRoomWanted(listener: () => void): void;
  /** Uploads that earlier processes left and that will never be objects: to abort. */
  readonly stale: readonly { record: JournalRecord; upload: UploadRef }[];
  /** An upload of `stale` is aborted. */
  aborted(record: JournalRecord, upload: UploadRef): Promise<void>;
}

const done = Promise.resolve();

/** The journal of batches that need none (out of the ring): records nothing. */
export const noJournal: ObjectJournal = {
  open: (base) => ({ base }),
  started: () => done,
  sealing: () => done,
  completed: () => done,
  finished: () => done,
  onRoomWanted: () => {},
  stale: [],
  aborted: () => done,
};
