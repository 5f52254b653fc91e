// A fixed pool of async upload loops: each takes a batch from a buffer's reader (out of the ring,
// or a spool segment), encodes it, and appends it to the open object (objects.ts), which uploads
// parts and completes objects. Loops never drop and never throw: every store call is retried
// until it succeeds.

import type { BatchReader, ReadBatch } from "../buffer/buffer.ts";
import { errorField } from "../log.ts";
import { type Batch, eachLine, stripPrefixes } from "../queue/batch.ts";
import { type Compression, type EncodedBatch, encodeBatch, encodingOf } from "./encode.ts";
import { type ObjectsDeps, type ObjectsOptions, ObjectWriter, type Unfinished } from "./objects.ts";
import { type Partitioner, partitioner, VERSION } from "./partitions.ts";

/**
 * NDJSON a partition's object gathers before it is compressed as one frame (PARTITION_BY): at
 * 100 partitions a 2 MiB batch is 100 shares of about 20 KiB, and compressed one by one they
 * made too many frames (BENCHMARKS.md). All stages together take at most STAGES_BYTES, unless
 * PARTITION_MAX_ACTIVE is so large that each would be under STAGE_MIN_BYTES.
 */
const STAGE_MAX_BYTES = 128 * 1024;
const STAGE_MIN_BYTES = 16 * 1024;
const STAGES_BYTES = 8 * 1024 * 1024;
export const stageBytes = (maxActive: number) => Math.max(STAGE_MIN_BYTES, Math.min(STAGE_MAX_BYTES, Math.floor(STAGES_BYTES / (maxActive + 1))));

export interface UploaderOptions extends ObjectsOptions {
  /** How many loops: MAX_WORKERS. */
  loops: number;
  /** Size of the reusable batch buffers (BATCH_MAX_BYTES). */
  maxBytes: number;
  /** Most encoded bytes in one object (OBJECT_MAX_BYTES). */
  objectMaxBytes: number;
  compression: Compression;
  /** 0: the codec's default. */
  compressionLevel: number;
  /** PARTITION_BY: the payload field whose value partitions the objects. Absent or empty: none. */
  partitionBy?: string;
  /** NDJSON bytes a partition's object compresses at once. @default stageBytes(PARTITION_MAX_ACTIVE) */
  stageBytes?: number;
}

export interface UploaderDeps extends ObjectsDeps {
  reader: BatchReader;
}

/**
 * @example
 * const uploader = new Uploader({ loops: 4, prefix: "events", maxBytes: 2 << 20, objectMaxBytes: 128 << 20, maxAgeMs: 60_000,
 *   partBytes: 8 << 20, compression: "zstd", compressionLevel: 0, retry },
 *   { reader, store, keys: createKeyNamer("events", instanceId), health, metrics, log });
 * uploader.start();
 * await buffer.close(); await uploader.done(); // everything written, every object complete
 */
export class Uploader {
  /** Batches taken from the reader and not yet in an object. */
  private readonly pending = new Set<Batch>();
  private loops: Promise<void>[] = [];
  private finished: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  /**
   * Batch buffers, reused: a fresh BATCH_MAX_BYTES buffer per batch kept hundreds of MiB of freed
   * pages in RSS (BENCHMARKS.md). Shared by the loops, so only as many exist as batches were
   * ever in flight at once, not one per loop.
   */
  private buffers: Uint8Array[] = [];
  readonly objects: ObjectWriter;
  /** Splits batches by partition (PARTITION_BY); null without partitions. */
  private readonly split: Partitioner | null;

  constructor(
    private readonly options: UploaderOptions,
    private readonly deps: UploaderDeps,
  ) {
    const bytes = options.stageBytes ?? stageBytes(options.partitions?.maxActive ?? 1);
    const staging = options.partitionBy
      ? { bytes, encoding: encodingOf(options.compression), encode: (batch: Batch) => this.encode(batch) }
      : undefined;
    const linePrefixes = options.partitionBy === VERSION;
    this.objects = new ObjectWriter({ ...options, maxBytes: options.objectMaxBytes, loops: options.loops, staging, linePrefixes }, deps);
    this.split = options.partitionBy ? partitioner(options.partitionBy) : null;
  }

  start(): void {
    this.objects.start();
    for (let i = 0; i < this.options.loops; i++) this.loops.push(this.loop());
    // A reader that ends (a spool an earlier process left, now read) leaves nothing to wait for.
    this.finished = Promise.all(this.loops).then(() => this.objects.close());
  }

  /** Resolves once every loop has ended (the reader said its buffer is closed and empty) and every object is complete. */
  async done(): Promise<void> {
    await this.finished;
  }

  /** The shutdown deadline: what is not in a completed object, handed over to be saved. */
  stop(): Unfinished {
    return this.objects.stop();
  }

  /** Payloads taken from the reader whose object is not complete yet. */
  get inFlightPayloads(): number {
    let payloads = this.objects.heldPayloads;
    for (const batch of this.pending) payloads += batch.payloads;
    return payloads;
  }

  /** Resolves when the reader is empty, no batch is between it and an object, and no store call is in flight (the open object may still take batches). */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await this.objects.whenSettled();
      if (this.isIdle()) return;
    }
  }

  private isIdle(): boolean {
    return this.deps.reader.length === 0 && this.pending.size === 0;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const scratch = this.buffers.pop() ?? new Uint8Array(this.options.maxBytes);
      const read = await this.deps.reader.next(scratch);
      if (read === null) return;
      const { batch } = read;
      this.pending.add(batch);
      this.deps.progress?.addUploadInFlight(batch.payloads);
      const { appended } = await this.encodeAndAppend(read, scratch);
      this.pending.delete(batch);
      if (this.idleWaiters.length && this.isIdle()) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      await appended;
    }
  }

  /**
   * Encodes the batch and appends its frame to the open object; resolves to what the append
   * returned, wrapped so that it is not awaited here. A function of its own so that the frame is
   * never a local of loop() across an await: a suspended async function's saved locals stay
   * referenced until the same await saves them again, so loop(), which lives as long as the
   * service, kept each frame it had written until its next batch was encoded. Young collections
   * then found nearly every frame alive and promoted it, and only a full collection freed it:
   * about 20 MiB more peak RSS with one object per batch.
   */
  private async encodeAndAppend(read: ReadBatch, scratch: Uint8Array): Promise<{ appended: Promise<void> }> {
    let only: string | null = null;
    if (this.split && !read.object) {
      if (read.shares) return this.stageSegment(read, this.split, scratch);
      // A batch of one partition (one value, or a hot one) is a frame as it is: copied into stages,
      // it cost 21 µs more CPU per request and 23 MiB more peak RSS with one value (BENCHMARKS.md).
      only = this.split.single(read.batch);
      if (only === null) return this.stageBatch(read, this.split, scratch);
    }
    // Lines carry a prefix with PARTITION_BY=version, and may in a spool a run of it left.
    const frame = await this.encode(read.name || this.options.partitionBy === VERSION ? stripPrefixes(read.batch) : read.batch);
    // A batch out of the ring lives on as its frame alone; a spool segment stays until its object is complete.
    if (!read.name) await this.release(read);
    this.buffers.push(scratch);
    return { appended: this.objects.append(read, frame, only === null ? "" : this.objects.admit(only)) };
  }

  /** With partitions, a batch of several: each payload goes to its partition's object, to be compressed there with the next ones (ObjectWriter.stageBatch). */
  private async stageBatch(read: ReadBatch, split: Partitioner, scratch: Uint8Array): Promise<{ appended: Promise<void> }> {
    const appended = this.objects.stageBatch(read.batch, (s, start, end) => this.objects.admit(split.of(s, start, end)));
    await this.release(read);
    this.buffers.push(scratch);
    return { appended };
  }

  /**
   * With partitions, a spool segment: each partition's share goes into that partition's object,
   * which holds the share, and the segment goes once all are complete. Where each payload goes
   * (its own partition, or the overflow past PARTITION_MAX_ACTIVE) is recorded beside the segment
   * first, so that after a crash it is read again into the same partitions, and the shares
   * already written are skipped (ObjectRecords).
   */
  private async stageSegment(read: ReadBatch, split: Partitioner, scratch: Uint8Array): Promise<{ appended: Promise<void> }> {
    const shares = read.shares!;
    let route: (s: Uint8Array, start: number, end: number) => string;
    if (shares.routes) {
      const own = new Set(shares.routes);
      const overflow = this.options.partitions?.overflow;
      route = (s, start, end) => {
        const partition = split.of(s, start, end);
        return own.has(partition) || !overflow ? partition : overflow;
      };
    } else {
      const routed = new Map<string, string>();
      const s = read.batch.ndjson;
      eachLine(s, (start, end) => {
        const partition = split.of(s, start, end);
        if (!routed.has(partition)) routed.set(partition, this.objects.admit(partition));
      });
      if ((await this.objects.recording(() => shares.record([...new Set(routed.values())]))) === null) {
        return { appended: Promise.resolve() }; // stopped at the deadline: the segment stays for the next start
      }
      route = (s, start, end) => routed.get(split.of(s, start, end))!;
    }
    const appended = this.objects.stageBatch(read.batch, route, read);
    this.buffers.push(scratch);
    return { appended };
  }

  private async encode(batch: Batch): Promise<EncodedBatch> {
    try {
      return await encodeBatch(batch, this.options.compression, this.options.compressionLevel);
    } catch (err) {
      // Cannot happen with valid input; if it does, keep the batch as plain NDJSON rather than lose it.
      this.deps.log.error("encoding a batch failed; writing it uncompressed", { error: errorField(err) });
      return encodeBatch(batch, "none");
    }
  }

  private async release(read: ReadBatch): Promise<void> {
    try {
      await read.release();
    } catch (err) {
      this.deps.log.limited("error", "buffer:release", "releasing a batch failed", { error: errorField(err) });
    }
  }
}
