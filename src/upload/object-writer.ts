// The coordinator of the objects the upload loops write, large ones in bounded memory: which
// object a frame goes into (by partition, or the one an earlier process was completing), when it
// ships a part (OBJECT_PART_BYTES of frames) and when it is complete (OBJECT_MAX_BYTES,
// OBJECT_MAX_AGE_MS, the journal wanting room, or shutdown). It delegates the object's state
// (open-object.ts) and memory (frame-pool.ts), staging, admission, the store calls (multipart.ts,
// retry.ts), back-pressure (bounds.ts), held batches (held-segments.ts) and the deadline's
// hand-over. Objects of batches the buffer keeps are recorded in its journal as they are built.
import type { ObjectName, ReadBatch } from "../buffer/buffer.ts";
import { payloadStart } from "../partition/line-prefix.ts";
import { type Batch, eachLine } from "../queue/batch.ts";
import { Admission } from "./admission.ts";
import { Bounds } from "./bounds.ts";
import type { Frame, ObjectFormat } from "./format.ts";
import { FramePool } from "./frame-pool.ts";
import { handOver, type Unfinished } from "./hand-over.ts";
import { HeldSegments } from "./held-segments.ts";
import { Multipart } from "./multipart.ts";
import { objectKey } from "./object-key.ts";
import { type HeldRead, OpenObject } from "./open-object.ts";
import { abortStale, ResumedObjects } from "./resumed-objects.ts";
import { Retrier } from "./retry.ts";
import { Staging } from "./staging.ts";
import type { WriterDeps, WriterOptions } from "./upload-options.ts";

const isHeld = (read: ReadBatch): read is HeldRead => read.segment !== undefined;

/**
 * @example
 * const objects = new ObjectWriter({ prefix: "events", format, objectMaxBytes: 128 << 20, maxAgeMs: 60_000, partBytes: 8 << 20, retry }, deps);
 * await objects.append(read, await format.encode(read.batch)); // may upload a part, or complete the object
 * await objects.close();                                        // completes what is open
 */
export class ObjectWriter {
  /** The objects taking batches, by partition ("" without PARTITION_BY). */
  private readonly open = new Map<string, OpenObject>();
  private readonly unfinished = new Set<OpenObject>();
  /** Completions under way, until their batches are released and their records finished (an object leaves `unfinished` once written). */
  private readonly completing = new Set<Promise<void>>();
  /** Objects an earlier process was completing. */
  private readonly resumed = new ResumedObjects((resumes, partition, format) =>
    this.track(new OpenObject(resumes.record.base, partition, format, resumes.record, resumes)),
  );
  private readonly pool: FramePool;
  /** Where a payload of a partition goes (PARTITION_MAX_ACTIVE): its own partition, or the overflow one. */
  readonly admission: Admission;
  private readonly bounds: Bounds;
  private readonly held: HeldSegments;
  private readonly multipart: Multipart;
  private readonly staging: Staging | null;
  readonly retrier: Retrier;

  constructor(
    private readonly options: WriterOptions,
    private readonly deps: WriterDeps,
  ) {
    const { store, metrics, log, journal } = deps;
    this.retrier = new Retrier(options.retry, deps);
    this.pool = new FramePool({ partBytes: options.partBytes, oneFramePerObject: options.maxAgeMs === 0 });
    this.admission = new Admission(options.partitions, metrics, log);
    this.held = new HeldSegments(journal, this.retrier, log);
    this.multipart = new Multipart(store, journal, this.pool, this.retrier, metrics);
    const retrier = this.retrier;
    this.bounds = new Bounds(
      { loops: options.loops ?? 1, partBytes: options.partBytes, ...(options.partitions && { bufferBytes: options.partitions.bufferBytes }) },
      {
        open: this.open,
        unfinished: this.unfinished,
        shipPart: (o) => this.multipart.shipPart(o),
        complete: (o) => this.complete(o),
        stopped: () => retrier.isStopped,
      },
    );
    this.staging = options.staging
      ? new Staging(
          options.staging,
          metrics,
          (o, frame, payloads) => this.placeStaged(o, frame, payloads),
          () => retrier.isStopped,
        )
      : null;
  }

  /** Payloads in objects not completed yet whose batch the buffer has already let go of (memory mode). */
  get heldPayloads(): number {
    let payloads = 0;
    for (const o of this.unfinished) payloads += o.payloads - o.spoolPayloads;
    return payloads;
  }

  /**
   * Adds a batch's frame to its object. Resolves once the memory it brought in is accounted for:
   * at once, or after the part it filled is uploaded, or after the object it filled is complete.
   * A batch with a `segment` is released once its object is complete; any other was released by
   * the caller already, and the frame is all that is left of it.
   */
  append(read: ReadBatch, frame: Frame, partition = ""): Promise<void> {
    const object = read.segment?.resumes
      ? this.resumed.of(read.segment.resumes, "", frame.format)
      : this.openFor(read.segment?.name, frame.format, partition);
    object.payloads += read.batch.payloads;
    if (isHeld(read)) {
      object.held.push(read);
      object.heldBytes += read.batch.ndjson.length;
      object.spoolPayloads += read.batch.payloads;
    }
    this.atRest(read.batch.payloads);
    const placed = this.placeFrame(object, frame, read.batch.payloads);
    if (placed) return placed;
    this.bounds.makeRoom();
    return this.bounds.withinBounds();
  }

  /**
   * A batch of several partitions' payloads, each copied into the stage of its partition's
   * object (staging.ts): `route` names the partition, admission included. The batch may be
   * reused once this returns; it resolves like append().
   *
   * A held batch (a spool segment) stays until every object holding a share of it is complete.
   * Shares an earlier process wrote are skipped; those of an object it was completing go into
   * that object again.
   */
  stageBatch(batch: Batch, route: (ndjson: Uint8Array, start: number, end: number) => string, read?: HeldRead): Promise<void> {
    const { staging } = this;
    if (!staging) throw new Error("stageBatch needs WriterOptions.staging");
    const { format, maxAgeMs } = this.options;
    const waits: Promise<void>[] = [];
    const touched = maxAgeMs === 0 || read ? new Set<OpenObject>() : null;
    const recovered = read?.segment.shares.recovered;
    const s = batch.ndjson;
    eachLine(s, (start, lineEnd) => {
      const partition = route(s, start, lineEnd);
      if (recovered?.written.has(partition)) return; // in a written object already
      let object = (recovered && this.resumed.share(recovered, partition, format)) ?? this.open.get(partition);
      if (!object || object.format.extension !== format.extension) {
        if (object) void this.complete(object);
        object = this.openObject(read?.segment.name, format, partition);
      }
      if (read) object.spoolPayloads++; // its share's bytes are bounded with its segment's (HeldSegments.leaveRoom)
      staging.add(object, s, format.keepsLinePrefixes ? start : payloadStart(s, start, lineEnd), lineEnd + 1, waits);
      object.payloads++;
      touched?.add(object);
    });
    this.deps.metrics.openObjectBytes.add(s.length);
    this.atRest(batch.payloads);
    if (read && touched) waits.push(this.held.hold(read, touched));
    for (const object of touched ?? []) {
      const full = object.resumes ? object.shares.length === object.resumes.batches : maxAgeMs === 0; // every batch an object of its own
      if (full) waits.push(this.complete(object));
    }
    this.held.leaveRoom(this.options.maxHeldBytes, (o) => void this.complete(o));
    this.bounds.makeRoom();
    waits.push(this.bounds.withinBounds());
    return Promise.all(waits).then(() => {});
  }

  /** Payloads are at rest in an open object, not in flight: the object's age, not the store, decides when they move. */
  private atRest(payloads: number): void {
    const { progress } = this.deps;
    if (!progress) return;
    progress.addUploadInFlight(-payloads);
    progress.uploadProgressAt = Date.now();
  }

  /** Adds bytes to the object: a frame of its payloads (counted already), its format's head or tail. */
  private addBytes(object: OpenObject, body: Uint8Array, payloads: number, meta?: unknown): void {
    if (meta !== undefined) object.placed.push({ offset: object.bytes, length: body.length, payloads, meta });
    this.pool.fill(object, body);
    object.framePayloads += payloads;
    object.bytes += body.length;
    this.deps.metrics.openObjectBytes.add(body.length);
  }

  /** Adds a frame; completes the object or ships a part if that makes one. */
  private placeFrame(object: OpenObject, frame: Frame, payloads: number): Promise<void> | null {
    const { options } = this;
    this.addBytes(object, frame.body, payloads, frame.meta);
    if (object.done) return null; // being completed: it ships what it holds once its stages are in
    const full = object.resumes
      ? object.held.length + object.shares.length === object.resumes.batches // its batches are held, all of them
      : object.bytes >= options.objectMaxBytes || options.maxAgeMs === 0 || object.heldBytes >= (options.maxHeldBytes ?? Number.POSITIVE_INFINITY);
    if (full) return this.complete(object);
    if (object.frameBytes >= options.partBytes) return this.multipart.shipPart(object);
    return null;
  }

  /** A staged frame into its object; one of another format (the codec failed: plain NDJSON) into an object of its own. */
  private placeStaged(object: OpenObject, frame: Frame, payloads: number): Promise<void> | null {
    if (frame.format.extension === object.format.extension) return this.placeFrame(object, frame, payloads);
    object.payloads -= payloads;
    const into = this.openFor(undefined, frame.format, object.partition);
    into.payloads += payloads;
    return this.placeFrame(into, frame, payloads);
  }

  /** The partition's open object, or a new one if there is none or the frame's format cannot join it. */
  private openFor(name: ObjectName | undefined, format: ObjectFormat, partition: string): OpenObject {
    const object = this.open.get(partition);
    if (object && object.format.extension === format.extension) return object;
    if (object) void this.complete(object);
    return this.openObject(name, format, partition);
  }

  private openObject(name: ObjectName | undefined, format: ObjectFormat, partition: string): OpenObject {
    const { prefix, timePartition, maxAgeMs } = this.options;
    const base = name ? objectKey({ prefix, partition, timePartition, ...name, extension: "" }) : this.deps.keys("", partition);
    const object = this.track(new OpenObject(base, partition, format, name ? this.deps.journal.open(base, name.sequence, partition) : null));
    if (maxAgeMs > 0) {
      object.timer = setTimeout(() => void this.complete(object), maxAgeMs);
      object.timer.unref?.();
    }
    this.open.set(partition, object);
    this.admission.activate(partition);
    return object;
  }

  private track(object: OpenObject): OpenObject {
    this.unfinished.add(object);
    this.deps.metrics.openObjects.add(1);
    if (object.format.head.length > 0) this.addBytes(object, object.format.head, 0);
    return object;
  }

  /** Resolves once no store call is in flight or due: every object but the open ones is complete, and they have no stage encoding or part uploading. */
  async whenSettled(): Promise<void> {
    for (let busy = this.bounds.inFlight(); busy.length > 0; busy = this.bounds.inFlight()) await Promise.all(busy);
  }

  /** Completes every object, the open ones and those being completed, and waits until their batches are released and their records done with. */
  async close(): Promise<void> {
    for (const object of this.open.values()) void this.complete(object);
    await Promise.all(this.completing);
    await this.held.settled();
  }

  /**
   * The shutdown deadline: stop writing, and hand over what is not in a completed object. A call
   * already sent may still land; what it holds is handed over too, so it is written twice rather
   * than lost.
   */
  stop(): Promise<Unfinished> {
    this.retrier.stop();
    return handOver([...this.unfinished], this.pool, this.options.linePrefixes ?? false);
  }

  /** Aborts the uploads earlier processes left; completes the open objects whenever the journal wants room. */
  start(): void {
    const { journal, store } = this.deps;
    journal.onRoomWanted(() => {
      for (const object of this.open.values()) void this.complete(object);
    });
    abortStale(journal, store, this.retrier);
  }

  /** Completes the object, once however often asked; close() waits for it. */
  private complete(object: OpenObject): Promise<void> {
    if (object.done) return object.done;
    const done = this.write(object);
    object.done = done;
    this.completing.add(done);
    void done.finally(() => this.completing.delete(done));
    return done;
  }

  /** Writes the object: its stages in, its format's tail, then one PUT or its last part and the Complete. */
  private async write(object: OpenObject): Promise<void> {
    const { metrics, journal, progress } = this.deps;
    clearTimeout(object.timer);
    progress?.addUploadInFlight(object.payloads); // in flight again until complete
    if (this.open.get(object.partition) === object) {
      this.open.delete(object.partition);
      this.admission.deactivate(object.partition);
    }
    if (this.staging) {
      await this.staging.encodeAll(object);
      if (this.retrier.isStopped) return; // stop() handed it over
    }
    const tail = object.format.tail(object.placed);
    if (tail.length > 0) this.addBytes(object, tail, 0);
    const { record } = object;
    // From here on the object is exactly these segments: a next start finding it not completed
    // writes them again under this key, and skips them once it is. Even an object of one segment:
    // else, written but not yet released at a crash, it would join the next object and be written twice.
    if (record && (await this.retrier.journal(() => journal.sealing(record, object.segments))) === null) return;
    if (!(await this.multipart.write(object))) return; // stopped at the shutdown deadline: stop() handed it over
    if (record && (await this.retrier.journal(() => journal.completed(record))) === null) return;
    this.unfinished.delete(object);
    this.resumed.completed(object);
    metrics.openObjects.add(-1);
    metrics.openObjectBytes.add(-object.bytes);
    metrics.objectsWritten.inc();
    metrics.bytesWritten.inc(object.bytes);
    metrics.payloadsWritten.inc(object.payloads);
    progress?.addUploadInFlight(-object.payloads);
    await this.held.release(object); // which finishes its record once its segments are released
  }
}

export type { Unfinished };
