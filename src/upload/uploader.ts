// A fixed pool of async upload loops: each takes a batch from a buffer's reader, encodes it in the
// object format, and appends it to its object (object-writer.ts), which uploads parts and
// completes objects. With PARTITION_BY a batch of several partitions is staged instead, payload
// by payload. Loops never drop and never throw: every store call is retried until it succeeds.

import type { ReadBatch } from "../buffer/buffer.ts";
import { errorField } from "../log.ts";
import { stripPrefixes } from "../partition/line-prefix.ts";
import { type Partitioner, partitioner, VERSION_FIELD } from "../partition/partitions.ts";
import { type Batch, eachLine } from "../queue/batch.ts";
import type { Frame } from "./format.ts";
import { ndjsonFormat } from "./ndjson-format.ts";
import { ObjectWriter, type Unfinished } from "./object-writer.ts";
import type { HeldRead } from "./open-object.ts";
import type { UploaderDeps, UploaderOptions } from "./upload-options.ts";

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

/** What a batch is written as when its format's encoder fails: plain NDJSON, never lost. */
const FALLBACK = ndjsonFormat("none");

/**
 * @example
 * const uploader = new Uploader(uploaderOptions(config, { loops: 4 }, createFormat(config)),
 *   { reader, store, keys: createKeyNamer("events", instanceId), health, metrics, log, journal: noJournal });
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
    const staging = options.partitionBy ? { bytes, encode: (batch: Batch) => this.encode(batch) } : undefined;
    const linePrefixes = options.partitionBy === VERSION_FIELD;
    this.objects = new ObjectWriter({ ...options, ...(staging && { staging }), linePrefixes }, deps);
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
  stop(): Promise<Unfinished> {
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
      const scratch = this.buffers.pop() ?? new Uint8Array(this.options.batchMaxBytes);
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
   * Encodes the batch and appends its frame to its object; resolves to what the append returned,
   * wrapped so that it is not awaited here. Its own function so that no frame is a local of
   * loop() across an await, which kept each frame alive until the next (BENCHMARKS.md).
   */
  private async encodeAndAppend(read: ReadBatch, scratch: Uint8Array): Promise<{ appended: Promise<void> }> {
    let only: string | null = null;
    const { segment } = read;
    if (this.split && !segment?.resumes) {
      if (segment) return this.stageSegment({ ...read, segment }, this.split, scratch);
      // A batch of one partition (one value, or a hot one) is a frame as it is: copied into stages,
      // it cost 21 µs more CPU per request and 23 MiB more peak RSS with one value (BENCHMARKS.md).
      only = this.split.single(read.batch);
      if (only === null) return this.stageBatch(read, this.split, scratch);
    }
    // Lines carry a prefix with PARTITION_BY=version, and may in a spool a run of it left.
    const strip = !this.options.format.keepsLinePrefixes && (segment || this.options.partitionBy === VERSION_FIELD);
    const frame = await this.encode(strip ? stripPrefixes(read.batch) : read.batch);
    // A batch the buffer does not keep lives on as its frame alone.
    if (!segment) await this.release(read);
    this.buffers.push(scratch);
    return { appended: this.objects.append(read, frame, only === null ? "" : this.objects.admission.admit(only)) };
  }

  /** With partitions, a batch of several: each payload goes to its partition's object, to be compressed there with the next ones (ObjectWriter.stageBatch). */
  private async stageBatch(read: ReadBatch, split: Partitioner, scratch: Uint8Array): Promise<{ appended: Promise<void> }> {
    const appended = this.objects.stageBatch(read.batch, (s, start, end) => this.objects.admission.admit(split.of(s, start, end)));
    await this.release(read);
    this.buffers.push(scratch);
    return { appended };
  }

  /**
   * With partitions, a held batch (a spool segment): each partition's share goes into that
   * partition's object, which holds the share, and the batch goes once all are complete. Where
   * each payload goes (its own partition, or the overflow past PARTITION_MAX_ACTIVE) is recorded
   * with the buffer first, so that after a crash it is read again into the same partitions, and
   * the shares already written are skipped.
   */
  private async stageSegment(read: HeldRead, split: Partitioner, scratch: Uint8Array): Promise<{ appended: Promise<void> }> {
    const { shares } = read.segment;
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
        if (!routed.has(partition)) routed.set(partition, this.objects.admission.admit(partition));
      });
      if ((await this.objects.retrier.journal(() => shares.record([...new Set(routed.values())]))) === null) {
        return { appended: Promise.resolve() }; // stopped at the deadline: the segment stays for the next start
      }
      route = (s, start, end) => routed.get(split.of(s, start, end))!; // every partition of the batch is routed above
    }
    const appended = this.objects.stageBatch(read.batch, route, read);
    this.buffers.push(scratch);
    return { appended };
  }

  private async encode(batch: Batch): Promise<Frame> {
    try {
      return await this.options.format.encode(batch);
    } catch (err) {
      // Cannot happen with valid input; if it does, keep the batch as plain NDJSON rather than lose it.
      this.deps.log.error("encoding a batch failed; writing it as plain NDJSON", { error: errorField(err) });
      return FALLBACK.encode(batch);
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
