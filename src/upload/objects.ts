// The objects the upload loops write: large ones, as analytics engines want them, in bounded
// memory. Each encoded batch (a frame: a zstd frame, a gzip member, or NDJSON) is appended to the
// open object. Once the frames not yet uploaded make a part (OBJECT_PART_BYTES), the loop that
// filled it uploads it under the next part number of the object's multipart upload, retrying
// until it is in; so at most one part per loop is in memory, plus the one being filled. Frames
// are copied as they come into a part buffer that is reused from part to part: fresh buffers per
// part, or frames kept until their part was joined, left freed pages in RSS (BENCHMARKS.md). The object
// is completed at OBJECT_MAX_BYTES, OBJECT_MAX_AGE_MS after its first batch, or at shutdown; one
// that never filled a part is written with a single PUT. Parts end on frame boundaries, so every
// part but the last is a whole number of frames of at least OBJECT_PART_BYTES, and whatever was
// not uploaded can still be decoded and saved at the shutdown deadline. Objects made of spool
// segments (disk mode), or of their partitions' shares, are recorded in the spool as they are
// built (spool/object-records.ts): a crash then neither loses them nor writes them twice.
import type { ObjectName, ReadBatch } from "../buffer/buffer.ts";
import type { Logger } from "../log.ts";
import { errorField } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { type Batch, eachLine, payloadStart, prefixLines } from "../queue/batch.ts";
import type { StoreHealth } from "../shared/store-health.ts";
import type { ObjectRecord, ObjectRecords, RecoveredObject } from "../spool/object-records.ts";
import type { RecoveredShares } from "../spool/recovery.ts";
import { type CompletedPart, type ObjectStore, StoreError, storeErrorIndex } from "../store/store.ts";
import { decodeFrame, type EncodedBatch, type Encoding, lonePayload } from "./encode.ts";
import { type KeyNamer, objectKey, type TimePartition } from "./object-key.ts";
import { backoffMs, type RetryPolicy } from "./retry.ts";

export interface ObjectsOptions {
  /** S3_PREFIX, for objects whose name the buffer fixes. */
  prefix: string;
  /** TIME_PARTITION, for objects whose name the buffer fixes. @default "hour" */
  timePartition?: TimePartition;
  /** OBJECT_MAX_BYTES: an object is completed once it holds this many encoded bytes. */
  maxBytes: number;
  /** OBJECT_MAX_AGE_MS: ...or this long after its first batch. 0: every batch is an object of its own. */
  maxAgeMs: number;
  /** OBJECT_PART_BYTES: the least size of a part but the last (S3: 5 MiB). */
  partBytes: number;
  /**
   * The upload loops: appends wait while this many objects are being completed, or while the
   * encoded bytes not yet in the store pass one part per loop plus the one being filled. So
   * memory stays bounded, and a store that is down pushes back on the queue, whatever the
   * object's age bound closes. @default 1
   */
  loops?: number;
  /** Spool bytes one object may hold (disk mode): past them it is completed, so segments leave the spool. @default no bound */
  maxHeldBytes?: number;
  /**
   * PARTITION_BY's partitions: one open object each, at most `maxActive` of them (PARTITION_MAX_ACTIVE);
   * payloads of further values go to `overflow` (`{field}=__other__`). Absent: one open object.
   */
  partitions?: { maxActive: number; overflow: string; bufferBytes: number };
  /**
   * Shares of batches (PARTITION_BY) gather in their object as NDJSON, `bytes` at a
   * time, and are compressed then as one frame (stageBatch): a batch cut into 100 shares made
   * 100 frames of a few KiB each, and their number, not their bytes, held the memory (BENCHMARKS.md).
   */
  staging?: { bytes: number; encoding: Encoding; encode(batch: Batch): Promise<EncodedBatch> };
  /**
   * PARTITION_BY=version: payload lines carry their partition as a prefix (queue/batch.ts), left
   * out in objects; what stop() hands over gets its object's partition back, to be routed there again.
   */
  linePrefixes?: boolean;
  retry: RetryPolicy;
}

/** What the upload side reports of its progress (the shared state, for /metrics). */
export interface UploadProgress {
  addUploadInFlight(payloads: number): void;
  uploadProgressAt: number;
}

export interface ObjectsDeps {
  store: ObjectStore;
  keys: KeyNamer;
  health: StoreHealth;
  metrics: Metrics;
  log: Logger;
  progress?: UploadProgress;
  /** Where objects of spool segments are recorded: set when the batches are spool segments. */
  records?: ObjectRecords;
}

/**
 * Frames an object keeps in chunks, up to this many bytes, before they are copied into a part
 * buffer: with many partitions, most objects stay this small, and a part buffer each would hold
 * far more memory than their frames.
 */
const FRAME_LIST_BYTES = 1024 * 1024;
/** The size of those chunks. */
const CHUNK_BYTES = 32 * 1024;
/** The least size of a buffer chunks are joined into: those are powers of two up to FRAME_LIST_BYTES. */
const JOIN_MIN_BYTES = 64 * 1024;

/**
 * Copies `from[start, end)` into `to` at `at`. A short run byte by byte: a view per payload for
 * set() was tens of thousands of young objects per batch.
 */
function copyBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  if (end - start > 1024) to.set(from.subarray(start, end), at);
  else for (let i = start; i < end; i++) to[at++] = from[i]!;
}

/** Copies `frames` back to back into the start of `into`; returns `into`. */
function copyFrames(frames: readonly Uint8Array[], into: Uint8Array): Uint8Array {
  let at = 0;
  for (const f of frames) {
    into.set(f, at);
    at += f.length;
  }
  return into;
}

/**
 * A spool segment whose shares are in objects (stageBatch): it is removed once the last of them
 * is complete. Plain bookkeeping, no closure or promise per share: at 100 partitions tens of
 * thousands of shares are held at once, and those held 17 MiB of heap (BENCHMARKS.md).
 */
interface HeldSegment {
  read: ReadBatch;
  bytes: number;
  /** The objects holding a share of it that are not complete yet. */
  holders: Set<OpenObject>;
  /** Complete objects whose record waits for it to be removed. */
  waiting: OpenObject[];
}

/** Whole frames of an object, back to back: a part, or a whole object written with one PUT. */
interface Part {
  body: Uint8Array;
  payloads: number;
  /** The reusable buffer `body` lies in; null for frames that were not copied into one. */
  buffer: Uint8Array | null;
}

/** What the shutdown deadline finds not yet in a completed object. */
export interface Unfinished {
  /** Frames not in an uploaded part, decoded: NDJSON to save. */
  batches: Batch[];
  /** Uploads whose parts are in the store: completing them with these parts writes the rest. */
  uploads: { key: string; uploadId: string; parts: CompletedPart[]; payloads: number }[];
}

class OpenObject {
  /**
   * Frames not in a part yet: while they are small, copied into pooled chunks (`chunkBytes` of
   * them used), or, when it is to be the only one (OBJECT_MAX_AGE_MS=0), the frame as it came
   * (`onlyFrame`); else back to back in a part buffer (`filling`).
   */
  onlyFrame: Uint8Array | null = null;
  chunks: Uint8Array[] = [];
  chunkBytes = 0;
  filling: Uint8Array | null = null;
  frameBytes = 0;
  framePayloads = 0;
  /** Parts being uploaded, by number, until the store has them: their bytes (whole frames) and payloads. */
  readonly shipping = new Map<number, Part & { upload: Promise<void> }>();
  readonly parts: (CompletedPart & { payloads: number })[] = [];
  nextPart = 1;
  uploadId: Promise<string> | null = null;
  createdUploadId: string | null = null;
  bytes = 0;
  payloads = 0;
  /** NDJSON gathered to be compressed as one frame (ObjectsOptions.staging): its buffer, bytes and payloads. */
  stage: Uint8Array | null = null;
  stageBytes = 0;
  stagePayloads = 0;
  /** Stages being compressed, with their NDJSON until their frame is in. */
  readonly compressing = new Set<{ ndjson: Uint8Array; payloads: number; done: Promise<void> }>();
  /** Batches the buffer keeps until this object is complete (spool segments), and their bytes. */
  readonly held: ReadBatch[] = [];
  heldBytes = 0;
  /** Spool segments it holds a share of (stageBatch). */
  readonly shares: HeldSegment[] = [];
  /** Its payloads that the spool keeps until it is complete. */
  spoolPayloads = 0;
  /** Once complete: its shares' segments not removed yet. Its record stays until they are, as it says which shares of them are written. */
  segmentsLeft = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: Promise<void> | null = null;

  constructor(
    /** The key without its extension. */
    readonly base: string,
    /** Its partition (`field=value`), or "" without PARTITION_BY. */
    readonly partition: string,
    readonly encoding: Encoding,
    /** Its record in the spool (objects of spool segments). */
    readonly record: ObjectRecord | null,
    /** Set when it is an object an earlier process was completing. */
    readonly recovered?: RecoveredObject,
  ) {}

  get key(): string {
    return this.base + this.encoding.extension;
  }
}

/**
 * @example
 * const objects = new ObjectWriter({ prefix: "events", maxBytes: 128 << 20, maxAgeMs: 60_000, partBytes: 8 << 20, retry }, deps);
 * await objects.append(read, await encodeBatch(read.batch, "zstd")); // may upload a part, or complete the object
 * await objects.close();                                              // completes what is open
 */
export class ObjectWriter {
  /** The objects taking batches, by partition ("" without PARTITION_BY). */
  private readonly open = new Map<string, OpenObject>();
  /** Partitions given an object: those open, and those admitted for a batch on its way to one. */
  private readonly active = new Set<string>();
  private readonly unfinished = new Set<OpenObject>();
  /** Objects an earlier process was completing, by their record. */
  private readonly recovered = new Map<ObjectRecord, OpenObject>();
  /** Part buffers whose part is in the store, for the next parts. */
  private readonly spare: Uint8Array[] = [];
  /**
   * Small objects' frames are copied into chunks of this pool, and joined for their PUT into a
   * buffer of `joins`; both are kept for reuse, as many as were ever in use at once. Kept as they
   * came, frames lived for many seconds, reached the old generation, and only full collections
   * freed them: with 100 partitions the heap grew by tens of MiB between those (BENCHMARKS.md).
   */
  private readonly chunks: Uint8Array[] = [];
  private readonly joins = new Map<number, Uint8Array[]>();
  /**
   * Stage buffers whose NDJSON is compressed, for the next stages: all are kept, as many as were
   * ever in use at once (about one per partition); dropped ones were garbage of a stage's size
   * per stage, and the collector let it grow the heap by tens of MiB (BENCHMARKS.md).
   */
  private readonly spareStages: Uint8Array[] = [];
  /** Spool segments whose shares are in objects not complete yet (stageBatch), oldest first. */
  private readonly heldSegments = new Map<ReadBatch, HeldSegment>();
  /** Records of objects of shares, being finished once their segments are removed. */
  private readonly finishing = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly options: ObjectsOptions,
    private readonly deps: ObjectsDeps,
  ) {}

  /** Payloads in objects not completed yet whose batch the buffer has already let go of (memory mode). */
  get heldPayloads(): number {
    let payloads = 0;
    for (const o of this.unfinished) payloads += o.payloads - o.spoolPayloads;
    return payloads;
  }

  /**
   * Adds a batch's frame to the open object. Resolves once the memory it brought in is accounted
   * for: at once, or after the part it filled is uploaded, or after the object it filled is complete.
   * `read` is released when its object is complete if it names its object (a spool segment): the
   * buffer keeps it until then. Otherwise the frame is all that is left of it, and the caller has
   * released it already.
   */
  append(read: ReadBatch, frame: EncodedBatch, partition = ""): Promise<void> {
    const placed = this.place(read, frame, partition);
    if (placed) return placed;
    this.makeRoom();
    return this.withinBounds();
  }

  /** Adds the frame to its object; the completion or part upload it started, if it started one. */
  private place(read: ReadBatch, frame: EncodedBatch, partition: string): Promise<void> | null {
    const object = read.object ? this.recoveredObject(read, frame) : this.openFor(read.name, frame, partition);
    object.payloads += read.batch.payloads;
    if (read.name) {
      object.held.push(read);
      object.heldBytes += read.batch.ndjson.length;
      object.spoolPayloads += read.batch.payloads;
    }
    this.atRest(read.batch.payloads);
    return this.placeFrame(object, frame.body, read.batch.payloads);
  }

  /** Payloads are at rest in an open object, not in flight: the object's age, not the store, decides when they move. */
  private atRest(payloads: number): void {
    if (!this.deps.progress) return;
    this.deps.progress.addUploadInFlight(-payloads);
    this.deps.progress.uploadProgressAt = Date.now();
  }

  /** Adds a frame of the object's payloads (counted already); completes the object or ships a part if that makes one. */
  private placeFrame(object: OpenObject, body: Uint8Array, payloads: number): Promise<void> | null {
    const { options } = this;
    this.fill(object, body);
    object.framePayloads += payloads;
    object.bytes += body.length;
    this.deps.metrics.openObjectBytes.add(body.length);
    if (object.done) return null; // being completed: it ships what it holds once its stages are in
    const full = object.recovered
      ? object.held.length + object.shares.length === object.recovered.batches // its batches are spool segments, all held
      : object.bytes >= options.maxBytes || options.maxAgeMs === 0 || object.heldBytes >= (options.maxHeldBytes ?? Number.POSITIVE_INFINITY);
    if (full) return this.complete(object);
    if (object.frameBytes >= options.partBytes) return this.shipPart(object);
    return null;
  }

  /**
   * A batch, each payload copied into the stage of its partition's object (ObjectsOptions.staging):
   * `route` names the partition, admission included (admit()). A stage is compressed as one
   * frame once it holds `staging.bytes`. The batch may be reused once this returns. Resolves like
   * append(); the bounds are checked once for the whole batch.
   *
   * A spool segment (`segment`) stays in the spool until every object holding a share of it is
   * complete; each holds its share (one partition's payloads) and records it. Shares an earlier
   * process wrote are skipped; those of an object it was completing go into that object again.
   */
  stageBatch(batch: Batch, route: (ndjson: Uint8Array, start: number, end: number) => string, segment?: ReadBatch): Promise<void> {
    const staging = this.options.staging!;
    const waits: Promise<void>[] = [];
    const touched = this.options.maxAgeMs === 0 || segment ? new Set<OpenObject>() : null;
    const recovered = segment?.shares?.recovered;
    const s = batch.ndjson;
    eachLine(s, (start, lineEnd) => {
      const partition = route(s, start, lineEnd);
      if (recovered?.written.has(partition)) return; // in a written object already
      const from = payloadStart(s, start, lineEnd);
      const end = lineEnd + 1;
      const length = end - from;
      let object = recovered?.objects.size ? this.recoveredShare(recovered, partition) : this.open.get(partition);
      if (!object || object.encoding.extension !== staging.encoding.extension) {
        if (object) void this.complete(object);
        object = this.openObject(segment?.name, staging.encoding, partition);
      }
      if (segment) object.spoolPayloads++; // its share's bytes are bounded with its segment's (leaveSpoolRoom)
      if (object.stage && object.stageBytes + length > object.stage.length) waits.push(this.compressStage(object));
      // A payload larger than a stage is a stage of its own size, not kept for reuse.
      object.stage ??= length > staging.bytes ? new Uint8Array(length) : (this.spareStages.pop() ?? new Uint8Array(staging.bytes));
      copyBytes(s, from, end, object.stage, object.stageBytes);
      object.stageBytes += length;
      object.stagePayloads++;
      object.payloads++;
      if (object.stageBytes >= staging.bytes) waits.push(this.compressStage(object));
      touched?.add(object);
    });
    this.deps.metrics.openObjectBytes.add(s.length);
    this.atRest(batch.payloads);
    if (segment && touched) waits.push(this.holdShares(segment, touched));
    for (const object of touched ?? []) {
      const full = object.recovered ? object.shares.length === object.recovered.batches : this.options.maxAgeMs === 0; // every batch an object of its own
      if (full) waits.push(this.complete(object));
    }
    this.leaveSpoolRoom();
    this.makeRoom();
    waits.push(this.withinBounds());
    return Promise.all(waits).then(() => {});
  }

  /** Each object given a share of the segment holds it: the segment is removed once the last of them is complete (at once if every share was written before). */
  private holdShares(read: ReadBatch, objects: Set<OpenObject>): Promise<void> {
    if (objects.size === 0) return Promise.resolve(read.release());
    const segment: HeldSegment = { read, bytes: read.batch.ndjson.length, holders: new Set(objects), waiting: [] };
    this.heldSegments.set(read, segment);
    for (const object of objects) object.shares.push(segment);
    return Promise.resolve();
  }

  /**
   * The object is complete: it lets go of its shares. A segment whose last holder it was is
   * removed, and the records waiting for that are finished once none of their segments is left.
   */
  private async releaseShares(object: OpenObject): Promise<void> {
    object.segmentsLeft = object.shares.length;
    for (const segment of object.shares) {
      segment.holders.delete(object);
      segment.waiting.push(object);
      if (segment.holders.size > 0) continue;
      this.heldSegments.delete(segment.read);
      // Not removed: the segment stays, and so do the records saying which shares of it are written.
      if (!(await this.releaseSegment(segment.read))) continue;
      for (const waiting of segment.waiting.splice(0)) {
        if (--waiting.segmentsLeft > 0 || !waiting.record) continue;
        const record = waiting.record;
        const finish: Promise<void> = this.recording(() => this.deps.records!.finished(record)).then(() => {
          this.finishing.delete(finish);
        });
        this.finishing.add(finish);
      }
    }
  }

  /** Removes a spool segment whose objects are written; false, and logged, if that failed. */
  private async releaseSegment(read: ReadBatch): Promise<boolean> {
    try {
      await read.release();
      return true;
    } catch (err) {
      this.deps.log.limited("error", "spool:remove", "removing an uploaded spool segment failed", { error: errorField(err) });
      return false;
    }
  }

  /**
   * Segments stay in the spool until every object holding a share of them is complete: past
   * `maxHeldBytes` of them, the objects holding the oldest are completed, so that they can go.
   */
  private leaveSpoolRoom(): void {
    const limit = this.options.maxHeldBytes;
    if (limit === undefined) return;
    let held = 0;
    for (const { bytes } of this.heldSegments.values()) held += bytes;
    for (const { bytes, holders } of this.heldSegments.values()) {
      if (held <= limit) return;
      for (const object of holders) void this.complete(object);
      held -= bytes;
    }
  }

  /** The object an earlier process was completing of this partition's shares, if there is one; else the partition's open object. */
  private recoveredShare(recovered: RecoveredShares, partition: string): OpenObject | undefined {
    const previous = recovered.objects.get(partition);
    if (!previous) return this.open.get(partition);
    let object = this.recovered.get(previous.record);
    if (!object) {
      object = new OpenObject(previous.record.base, partition, this.options.staging!.encoding, previous.record, previous);
      this.recovered.set(previous.record, object);
      this.track(object);
    }
    return object;
  }

  /** Compresses the object's stage into a frame of it, in the background; resolves once the frame is placed. */
  private compressStage(object: OpenObject): Promise<void> {
    const staging = this.options.staging!;
    const buffer = object.stage;
    if (!buffer || object.stageBytes === 0) return Promise.resolve();
    const batch = { ndjson: buffer.subarray(0, object.stageBytes), payloads: object.stagePayloads };
    object.stage = null;
    object.stageBytes = 0;
    object.stagePayloads = 0;
    const chunk = { ...batch, done: Promise.resolve() };
    chunk.done = (async () => {
      const frame = await staging.encode(batch);
      object.compressing.delete(chunk);
      this.deps.metrics.openObjectBytes.add(-batch.ndjson.length); // its frame's bytes replace them
      if (this.stopped) return; // stop() handed its NDJSON over
      if (buffer.length === staging.bytes) this.spareStages.push(buffer);
      let into = object;
      if (frame.extension !== object.encoding.extension) {
        // The codec failed and the frame is plain NDJSON: it cannot join a compressed object.
        object.payloads -= batch.payloads;
        into = this.openFor(undefined, frame, object.partition);
        into.payloads += batch.payloads;
      }
      await this.placeFrame(into, frame.body, batch.payloads);
    })();
    object.compressing.add(chunk);
    return chunk.done;
  }

  /** Compresses what the object has staged, and waits until every stage of it is a frame in it. */
  private async compressStages(object: OpenObject): Promise<void> {
    void this.compressStage(object);
    await Promise.all([...object.compressing].map((c) => c.done));
  }

  /**
   * Where a payload of `partition` goes: its own object if it has one, or may open one (fewer than
   * PARTITION_MAX_ACTIVE are), else the overflow partition. Counted in /metrics, logged once an interval.
   */
  admit(partition: string): string {
    const { partitions } = this.options;
    if (!partitions || this.active.has(partition) || partition === partitions.overflow) return partition;
    if (this.active.size < partitions.maxActive) {
      this.activate(partition);
      return partition;
    }
    this.deps.metrics.partitionOverflow.inc();
    this.deps.log.limited(
      "warn",
      "partition:overflow",
      "PARTITION_MAX_ACTIVE partitions are open: payloads of further values go to the overflow partition",
      {
        max_active: partitions.maxActive,
        partition,
        overflow: partitions.overflow,
      },
    );
    return partitions.overflow;
  }

  private activate(partition: string): void {
    if (this.active.has(partition) || partition === this.options.partitions?.overflow) return;
    this.active.add(partition);
    this.deps.metrics.activePartitions.add(1);
  }

  /**
   * Many partitions' objects, each short of a part, could hold a part's worth each: past
   * PARTITION_BUFFER_BYTES of frames (without partitions, one part per loop plus one), the object
   * holding most ships a part, or is completed if it has less.
   */
  private makeRoom(): void {
    if (this.open.size < 2) return;
    const limit = this.options.partitions?.bufferBytes ?? ((this.options.loops ?? 1) + 1) * this.options.partBytes;
    let held = 0;
    for (const o of this.open.values()) held += o.frameBytes;
    while (held > limit) {
      let largest: OpenObject | null = null;
      for (const o of this.open.values()) if (!largest || o.frameBytes > largest.frameBytes) largest = o;
      if (!largest || largest.frameBytes === 0) return;
      held -= largest.frameBytes;
      if (largest.frameBytes >= this.options.partBytes) void this.shipPart(largest);
      else void this.complete(largest);
    }
  }

  /**
   * Adds a frame to those not in a part yet. While they are small together (FRAME_LIST_BYTES), it
   * is copied into pooled chunks; past that, into a part buffer (a spare one if there is). An
   * object's first frame is kept as it is when it will be the only one (OBJECT_MAX_AGE_MS=0).
   */
  private fill(object: OpenObject, frame: Uint8Array): void {
    const used = object.frameBytes;
    const needed = used + frame.length;
    object.frameBytes = needed;
    if (!object.filling && used === 0 && this.options.maxAgeMs === 0) {
      object.onlyFrame = frame;
      return;
    }
    if (!object.filling && needed <= FRAME_LIST_BYTES) {
      this.toChunks(object, frame);
      return;
    }
    let buffer = object.filling;
    if (!buffer || buffer.length < needed) {
      // Room for a part and one more frame of up to a quarter part: a part ships once it passes
      // partBytes. Grown by doubling up to that, as many partitions' objects may never fill one;
      // spares come back full size.
      const spare = this.spare.pop();
      buffer =
        spare && spare.length >= needed ? spare : new Uint8Array(Math.max(needed, Math.min(2 * needed, Math.ceil(this.options.partBytes * 1.25))));
      copyFrames(object.filling ? [object.filling.subarray(0, used)] : this.pieces(object), buffer);
      if (object.filling) this.rejoin(object.filling);
      this.dropPieces(object);
      object.filling = buffer;
    }
    buffer.set(frame, used);
  }

  /** Appends the frame to the object's chunks, taking chunks from the pool as it needs them. */
  private toChunks(object: OpenObject, frame: Uint8Array): void {
    for (let at = 0; at < frame.length; ) {
      if (object.chunkBytes === object.chunks.length * CHUNK_BYTES) object.chunks.push(this.chunks.pop() ?? new Uint8Array(CHUNK_BYTES));
      const offset = object.chunkBytes - (object.chunks.length - 1) * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, frame.length - at);
      object.chunks.at(-1)!.set(frame.subarray(at, at + n), offset);
      object.chunkBytes += n;
      at += n;
    }
  }

  /** The bytes not in a part yet, in order, while they are a kept frame and chunks. */
  private pieces(object: OpenObject): Uint8Array[] {
    const last = object.chunks.length - 1;
    return [
      ...(object.onlyFrame ? [object.onlyFrame] : []),
      ...object.chunks.map((c, i) => (i === last ? c.subarray(0, object.chunkBytes - last * CHUNK_BYTES) : c)),
    ];
  }

  /** Gives the object's chunks back to the pool, once their bytes are copied out. */
  private dropPieces(object: OpenObject): void {
    this.chunks.push(...object.chunks);
    object.chunks = [];
    object.chunkBytes = 0;
    object.onlyFrame = null;
  }

  /** The frames not in a part yet, as one body: chunks are joined once, into a pooled buffer the object keeps as its part buffer. */
  private unshipped(object: OpenObject): Uint8Array {
    if (!object.filling && object.chunks.length > 0) {
      const buffer = this.joinBuffer(object.frameBytes);
      copyFrames(this.pieces(object), buffer);
      this.dropPieces(object);
      object.filling = buffer;
    }
    if (object.filling) return object.filling.subarray(0, object.frameBytes);
    return object.onlyFrame ?? new Uint8Array(0);
  }

  /** A buffer of `bytes` or more from the pool of `joins`: their sizes are powers of two from JOIN_MIN_BYTES to FRAME_LIST_BYTES. */
  private joinBuffer(bytes: number): Uint8Array {
    if (bytes > FRAME_LIST_BYTES) return new Uint8Array(bytes);
    let size = JOIN_MIN_BYTES;
    while (size < bytes) size *= 2;
    const pool = this.joins.get(size);
    return pool?.pop() ?? new Uint8Array(size);
  }

  /** Whether `buffer` came from joinBuffer(), and goes back to its pool; returns false for part buffers. */
  private rejoin(buffer: Uint8Array): boolean {
    const pool = this.joins.get(buffer.length);
    if (pool) pool.push(buffer);
    else if (buffer.length >= JOIN_MIN_BYTES && buffer.length <= FRAME_LIST_BYTES && (buffer.length & (buffer.length - 1)) === 0)
      this.joins.set(buffer.length, [buffer]);
    else return false;
    return true;
  }

  /** Takes the frames not in a part yet as a part. */
  private takePart(object: OpenObject): Part {
    const part = { body: this.unshipped(object), payloads: object.framePayloads, buffer: object.filling };
    object.onlyFrame = null;
    object.filling = null;
    object.frameBytes = 0;
    object.framePayloads = 0;
    return part;
  }

  /** A part is in the store: its buffer serves the next one. Two spare part buffers: one part fills while one uploads. */
  private reuse(part: Part): void {
    if (part.buffer && !this.rejoin(part.buffer) && this.spare.length < 2) this.spare.push(part.buffer);
  }

  /** The partition's open object, or a new one if there is none or the frame cannot join it. */
  private openFor(name: ObjectName | undefined, frame: Encoding, partition: string): OpenObject {
    const object = this.open.get(partition);
    if (object && object.encoding.extension === frame.extension) return object;
    if (object) void this.complete(object); // an uncompressed fallback frame cannot join a compressed object
    return this.openObject(name, frame, partition);
  }

  /** The object an earlier process was completing that this batch belongs to: under its key, whatever the encoding. */
  private recoveredObject(read: ReadBatch, frame: EncodedBatch): OpenObject {
    const recovered = read.object!;
    let object = this.recovered.get(recovered.record);
    if (!object) {
      object = new OpenObject(recovered.record.base, "", frame, recovered.record, recovered);
      this.recovered.set(recovered.record, object);
      this.track(object);
    }
    return object;
  }

  /** Waits while too many objects are being completed, or too many encoded bytes are not in the store yet. */
  private async withinBounds(): Promise<void> {
    const loops = this.options.loops ?? 1;
    const limit = (loops + 1) * this.options.partBytes;
    for (;;) {
      let completing = 0;
      let unstored = 0;
      for (const o of this.unfinished) {
        unstored += o.frameBytes;
        for (const part of o.shipping.values()) unstored += part.body.length;
        if (o.done) completing++;
      }
      const busy = this.inFlight();
      if ((completing < loops && unstored <= limit) || busy.length === 0) return;
      await Promise.race(busy);
    }
  }

  /** The store calls under way: each object's completion, or else its parts uploading. None once stopped. */
  private inFlight(): Promise<void>[] {
    if (this.stopped) return [];
    return [...this.unfinished].flatMap((o) =>
      o.done ? [o.done] : [...[...o.compressing].map((c) => c.done), ...[...o.shipping.values()].map((part) => part.upload)],
    );
  }

  /** Resolves once no store call is in flight or due: every object but the open ones is complete, and they have no stage compressing or part uploading. */
  async whenSettled(): Promise<void> {
    for (let busy = this.inFlight(); busy.length > 0; busy = this.inFlight()) await Promise.all(busy);
  }

  /** Completes every object: the open one and those being completed; and waits until their records are done with. */
  async close(): Promise<void> {
    for (const object of this.open.values()) void this.complete(object);
    await Promise.all([...this.unfinished].map((o) => o.done));
    await Promise.all(this.finishing);
  }

  /**
   * The shutdown deadline: stop writing, and hand over what is not in a completed object. A call
   * already sent may still land; what it holds is handed over too, so it is written twice rather
   * than lost.
   */
  stop(): Unfinished {
    this.stopped = true;
    const batches: Batch[] = [];
    const uploads: Unfinished["uploads"] = [];
    for (const o of this.unfinished) {
      clearTimeout(o.timer);
      // Spool segments stay in the spool for the next start; its record names the upload to abort.
      if (o.held.length > 0 || o.shares.length > 0) continue;
      const save = (ndjson: Uint8Array, payloads: number) =>
        batches.push({ ndjson: this.options.linePrefixes ? prefixLines(ndjson, o.partition) : ndjson, payloads });
      const parts = [...o.shipping.values(), { body: this.unshipped(o), payloads: o.framePayloads }];
      for (const p of parts) if (p.payloads > 0) save(decodeFrame(p.body, o.encoding.compression), p.payloads);
      for (const c of o.compressing) save(c.ndjson, c.payloads);
      if (o.stagePayloads > 0) save(o.stage!.subarray(0, o.stageBytes), o.stagePayloads);
      if (o.parts.length > 0 && o.createdUploadId) {
        const parts = o.parts.map(({ partNumber, etag }) => ({ partNumber, etag }));
        uploads.push({ key: o.key, uploadId: o.createdUploadId, parts, payloads: o.parts.reduce((n, p) => n + p.payloads, 0) });
      }
    }
    return { batches, uploads };
  }

  private openObject(name: ObjectName | undefined, frame: Encoding, partition: string): OpenObject {
    const { prefix, timePartition, maxAgeMs } = this.options;
    const { records } = this.deps;
    const base = name ? objectKey({ prefix, partition, timePartition, ...name, extension: "" }) : this.deps.keys("", partition);
    const record = records && name ? records.open(base, name.sequence, partition) : null;
    const object = new OpenObject(base, partition, frame, record);
    if (maxAgeMs > 0) {
      object.timer = setTimeout(() => void this.complete(object), maxAgeMs);
      object.timer.unref?.();
    }
    this.open.set(partition, object);
    if (partition) this.activate(partition);
    this.track(object);
    return object;
  }

  private track(object: OpenObject): void {
    this.unfinished.add(object);
    this.deps.metrics.openObjects.add(1);
  }

  /**
   * Aborts, in the background, the multipart uploads that earlier processes left (found in the
   * spool's records); and completes the open object whenever the spool runs out of disk.
   */
  start(): void {
    const { records, store } = this.deps;
    records?.onRoomWanted(() => {
      for (const object of this.open.values()) void this.complete(object);
    });
    for (const { record, upload } of records?.stale ?? []) {
      void (async () => {
        const aborted = await this.retrying("abort", 0, () => store.multipart.abort(upload.key, upload.uploadId), { health: false });
        if (aborted !== null) await this.recording(() => records!.aborted(record, upload));
      })();
    }
  }

  /** Uploads the frames not in a part yet as the object's next part. */
  private shipPart(object: OpenObject): Promise<void> {
    const part = this.takePart(object);
    const partNumber = object.nextPart++;
    const upload = (async () => {
      const uploadId = await this.uploadIdOf(object);
      const etag = await this.retrying("part", part.payloads, () =>
        this.deps.store.multipart.uploadPart(object.key, uploadId, partNumber, part.body),
      );
      if (etag === null) return;
      object.parts.push({ partNumber, etag, payloads: part.payloads });
      object.shipping.delete(partNumber);
      this.reuse(part);
      this.deps.metrics.partsUploaded.inc();
    })();
    object.shipping.set(partNumber, { ...part, upload });
    return upload;
  }

  private uploadIdOf(object: OpenObject): Promise<string> {
    object.uploadId ??= (async () => {
      const { contentType, contentEncoding } = object.encoding;
      const id = await this.retrying("create", 0, () => this.deps.store.multipart.create(object.key, { contentType, contentEncoding }));
      object.createdUploadId = id;
      // Recorded before any part goes up, so that after a crash the next start aborts it.
      if (id !== null && object.record) await this.recording(() => this.deps.records!.started(object.record!, { key: object.key, uploadId: id }));
      return id ?? "";
    })();
    return object.uploadId;
  }

  /** Writes the object: one PUT if no part was started, else its last part and the completion. */
  private complete(object: OpenObject): Promise<void> {
    object.done ??= (async () => {
      clearTimeout(object.timer);
      this.deps.progress?.addUploadInFlight(object.payloads); // in flight again until complete
      if (this.open.get(object.partition) === object) {
        this.open.delete(object.partition);
        if (this.active.delete(object.partition)) this.deps.metrics.activePartitions.add(-1);
      }
      if (this.options.staging) {
        await this.compressStages(object);
        if (this.stopped) return; // stop() handed it over
      }
      const { store, metrics, records } = this.deps;
      const { record } = object;
      // An object of spool segments (or of their shares): from here on it is these segments, so the
      // next start writes exactly them again under this key if it finds the object not yet
      // completed, and skips them once it is. Even an object of one segment: written but not yet
      // removed when the process died, its segment would otherwise join the next start's object
      // of the segment before it, and its payloads would be written twice.
      if (record) {
        const segments = [...object.held, ...object.shares.map((share) => share.read)].map((read) => read.name!.sequence);
        if ((await this.recording(() => records!.sealing(record, segments))) === null) return;
      }
      let written: boolean;
      if (object.nextPart === 1) {
        // The frames stay in the object until the PUT is in: the shutdown deadline may need them.
        const frames = this.unshipped(object);
        const { contentType, contentEncoding, compression, extension } = object.encoding;
        const lone = compression === "none" && object.payloads === 1 ? lonePayload(frames) : null;
        const key = object.base + (lone?.extension ?? extension);
        const body = lone?.body ?? frames;
        written =
          (await this.retrying("put", object.payloads, () =>
            store.put(key, body, { contentType: lone?.contentType ?? contentType, contentEncoding }),
          )) !== null;
        if (written) this.reuse(this.takePart(object));
      } else {
        if (object.frameBytes > 0) void this.shipPart(object);
        await Promise.all([...object.shipping.values()].map((part) => part.upload));
        const uploadId = await this.uploadIdOf(object);
        const parts = object.parts.map(({ partNumber, etag }) => ({ partNumber, etag }));
        written = (await this.retrying("complete", object.payloads, () => store.multipart.complete(object.key, uploadId, parts))) !== null;
      }
      if (!written) return; // stopped at the shutdown deadline: stop() handed it over
      if (record && (await this.recording(() => records!.completed(record))) === null) return;
      this.unfinished.delete(object);
      if (object.recovered) this.recovered.delete(object.recovered.record);
      metrics.openObjects.add(-1);
      metrics.openObjectBytes.add(-object.bytes);
      metrics.objectsWritten.inc();
      metrics.bytesWritten.inc(object.bytes);
      metrics.payloadsWritten.inc(object.payloads);
      this.deps.progress?.addUploadInFlight(-object.payloads);
      for (const read of object.held) await this.releaseSegment(read);
      if (object.shares.length > 0)
        await this.releaseShares(object); // which finishes its record once its segments are gone
      else if (record) await this.recording(() => records!.finished(record));
    })();
    return object.done;
  }

  /** Writes to the spool's object records, retried until they succeed: a store call made without its record could be lost or written twice after a crash. Null once stopped. */
  recording(write: () => Promise<void>): Promise<true | null> {
    return this.retried(
      async () => {
        await write();
        return true as const;
      },
      (err, n) => {
        const delay = backoffMs(n, true, this.options.retry);
        this.deps.log.limited("error", "spool:record", "recording an object in the spool failed; retrying", {
          error: errorField(err),
          retry_in_ms: delay,
        });
        return delay;
      },
    );
  }

  /**
   * One store call, retried under the same key (and part number) until it succeeds: loops never
   * drop and never throw. Resolves to null if the shutdown deadline stopped the writer first.
   */
  private retrying<T>(call: string, payloads: number, attempt: () => Promise<T>, { health: counts = true } = {}): Promise<T | null> {
    const { metrics, health, log, progress } = this.deps;
    return this.retried(
      async (n) => {
        if (n > 0) metrics.uploadRetries.inc();
        const started = performance.now();
        const out = await attempt();
        metrics.uploadSeconds.observe((performance.now() - started) / 1000);
        if (counts) health.success();
        if (progress) progress.uploadProgressAt = Date.now();
        return out;
      },
      (err, n) => {
        const e = err instanceof StoreError ? err : new StoreError("unknown", true, errorField(err), { cause: err });
        if (call === "complete" && n > 0 && e.type === "no_such_upload") {
          // The earlier attempt completed it, and its answer was lost: the upload is gone because it is the object now.
          log.warn("completing an upload again found it gone: the earlier attempt completed it", { error: e.message });
          return { value: undefined as T };
        }
        metrics.uploadErrors.inc(1, { error_type: e.type });
        // Cleaning up an earlier process's upload does not decide whether this one can write.
        if (counts) health.failure(e.retryable, storeErrorIndex(e.type));
        const delay = backoffMs(n, e.retryable, this.options.retry);
        log.limited(e.retryable ? "warn" : "error", `upload:${e.type}`, "upload failed; retrying", {
          call,
          error_type: e.type,
          error: e.message,
          retryable: e.retryable,
          retry_in_ms: delay,
          payloads,
        });
        return delay;
      },
    );
  }

  /**
   * Tries `attempt` (given the attempt number) until it succeeds; after a failure, `failed` reports
   * it and says how long to wait, or what to resolve to instead. Resolves to null once stopped.
   */
  private async retried<T>(attempt: (n: number) => Promise<T>, failed: (err: unknown, n: number) => number | { value: T }): Promise<T | null> {
    for (let n = 0; ; n++) {
      if (this.stopped) return null;
      try {
        return await attempt(n);
      } catch (err) {
        const next = failed(err, n);
        if (typeof next !== "number") return next.value;
        await new Promise((resolve) => setTimeout(resolve, next));
      }
    }
  }
}
