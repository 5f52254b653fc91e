// Partition staging (PARTITION_BY): a batch's payloads are copied, each into the stage of its
// partition's object, and a stage is encoded as one frame once it holds `bytes` of NDJSON, not
// one small frame per share (BENCHMARKS.md). Stage buffers are reused: as many exist as were ever
// in use at once (about one per partition). The frame is handed to `place` once encoded.
import type { Metrics } from "../metrics.ts";
import type { Batch } from "../queue/batch.ts";
import type { Frame } from "./format.ts";
import type { OpenObject } from "./open-object.ts";

export interface StagingOptions {
  /** NDJSON a stage gathers before it is encoded. */
  bytes: number;
  /** Encodes a stage; never rejects (the uploader falls back to plain NDJSON). */
  encode(batch: Batch): Promise<Frame>;
}

/**
 * Copies `from[start, end)` into `to` at `at`. A short run byte by byte: a view per payload for
 * set() was tens of thousands of young objects per batch.
 */
function copyBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  if (end - start > 1024) to.set(from.subarray(start, end), at);
  else for (let i = start; i < end; i++) to[at++] = from[i] as number;
}

export class Staging {
  private readonly spareStages: Uint8Array[] = [];

  constructor(
    readonly options: StagingOptions,
    private readonly metrics: Metrics,
    /** Places an encoded stage in its object (or elsewhere, if its format does not match); resolves like the writer's append. */
    private readonly place: (object: OpenObject, frame: Frame, payloads: number) => Promise<void> | null,
    /** Whether the shutdown deadline has stopped the writer: stop() then hands the stage's NDJSON over. */
    private readonly stopped: () => boolean,
  ) {}

  /** Copies the payload `s[from, end)` (its newline included) into the object's stage; pushes to `waits` the encodings that started. */
  add(object: OpenObject, s: Uint8Array, from: number, end: number, waits: Promise<void>[]): void {
    const { bytes } = this.options;
    const length = end - from;
    if (object.stage && object.stageBytes + length > object.stage.length) waits.push(this.encode(object));
    // A payload larger than a stage is a stage of its own size, not kept for reuse.
    object.stage ??= length > bytes ? new Uint8Array(length) : (this.spareStages.pop() ?? new Uint8Array(bytes));
    copyBytes(s, from, end, object.stage, object.stageBytes);
    object.stageBytes += length;
    object.stagePayloads++;
    if (object.stageBytes >= bytes) waits.push(this.encode(object));
  }

  /** Encodes the object's stage into a frame of it, in the background; resolves once the frame is placed. */
  encode(object: OpenObject): Promise<void> {
    const buffer = object.stage;
    if (!buffer || object.stageBytes === 0) return Promise.resolve();
    const batch = { ndjson: buffer.subarray(0, object.stageBytes), payloads: object.stagePayloads };
    object.stage = null;
    object.stageBytes = 0;
    object.stagePayloads = 0;
    const chunk = { ...batch, done: Promise.resolve() };
    chunk.done = (async () => {
      const frame = await this.options.encode(batch);
      object.compressing.delete(chunk);
      this.metrics.openObjectBytes.add(-batch.ndjson.length); // its frame's bytes replace them
      if (this.stopped()) return; // stop() handed its NDJSON over
      if (buffer.length === this.options.bytes) this.spareStages.push(buffer);
      await this.place(object, frame, batch.payloads);
    })();
    object.compressing.add(chunk);
    return chunk.done;
  }

  /** Encodes what the object has staged, and waits until every stage of it is a frame in it. */
  async encodeAll(object: OpenObject): Promise<void> {
    void this.encode(object);
    await Promise.all([...object.compressing].map((c) => c.done));
  }
}
