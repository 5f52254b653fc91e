// The memory that objects' frames live in until they are uploaded, reused rather than
// reallocated. An object's frames not yet in a part are copied, as they come, into pooled
// chunks while they are small together (FRAME_LIST_BYTES), then into a part buffer; a part
// buffer whose part is in the store serves the next part: fresh buffers grew RSS (BENCHMARKS.md).
// Memory held: the chunks and joins ever in use at once, and two spare parts.
import type { OpenObject, Part } from "./open-object.ts";

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

/** Copies `frames` back to back into the start of `into`; returns `into`. */
function copyFrames(frames: readonly Uint8Array[], into: Uint8Array): Uint8Array {
  let at = 0;
  for (const f of frames) {
    into.set(f, at);
    at += f.length;
  }
  return into;
}

export class FramePool {
  /** Part buffers whose part is in the store, for the next parts. */
  private readonly spare: Uint8Array[] = [];
  /** Chunks small objects' frames are copied into, and buffers of power-of-two sizes they are joined into for a PUT. */
  private readonly chunks: Uint8Array[] = [];
  private readonly joins = new Map<number, Uint8Array[]>();

  constructor(
    private readonly options: {
      /** OBJECT_PART_BYTES. */
      partBytes: number;
      /** OBJECT_MAX_AGE_MS=0: an object's first frame is its only one, kept as it came. */
      oneFramePerObject: boolean;
    },
  ) {}

  /** Adds a frame to the object's frames not in a part yet (counted in `frameBytes`). */
  fill(object: OpenObject, frame: Uint8Array): void {
    const used = object.frameBytes;
    const needed = used + frame.length;
    object.frameBytes = needed;
    if (!object.filling && used === 0 && this.options.oneFramePerObject) {
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
      const { partBytes } = this.options;
      buffer = spare && spare.length >= needed ? spare : new Uint8Array(Math.max(needed, Math.min(2 * needed, Math.ceil(partBytes * 1.25))));
      copyFrames(object.filling ? [object.filling.subarray(0, used)] : this.pieces(object), buffer);
      if (object.filling) this.rejoin(object.filling);
      this.dropPieces(object);
      object.filling = buffer;
    }
    buffer.set(frame, used);
  }

  /** The frames not in a part yet, as one body: chunks are joined once, into a pooled buffer the object keeps as its part buffer. */
  unshipped(object: OpenObject): Uint8Array {
    if (!object.filling && object.chunks.length > 0) {
      const buffer = this.joinBuffer(object.frameBytes);
      copyFrames(this.pieces(object), buffer);
      this.dropPieces(object);
      object.filling = buffer;
    }
    if (object.filling) return object.filling.subarray(0, object.frameBytes);
    return object.onlyFrame ?? new Uint8Array(0);
  }

  /** Takes the frames not in a part yet as a part. */
  takePart(object: OpenObject): Part {
    const part = { body: this.unshipped(object), payloads: object.framePayloads, offset: object.bytes - object.frameBytes, buffer: object.filling };
    object.onlyFrame = null;
    object.filling = null;
    object.frameBytes = 0;
    object.framePayloads = 0;
    return part;
  }

  /** A part is in the store: its buffer serves the next one. Two spare part buffers: one part fills while one uploads. */
  reuse(part: Part): void {
    if (part.buffer && !this.rejoin(part.buffer) && this.spare.length < 2) this.spare.push(part.buffer);
  }

  /** Appends the frame to the object's chunks, taking chunks from the pool as it needs them. */
  private toChunks(object: OpenObject, frame: Uint8Array): void {
    for (let at = 0; at < frame.length; ) {
      if (object.chunkBytes === object.chunks.length * CHUNK_BYTES) object.chunks.push(this.chunks.pop() ?? new Uint8Array(CHUNK_BYTES));
      const offset = object.chunkBytes - (object.chunks.length - 1) * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, frame.length - at);
      object.chunks.at(-1)?.set(frame.subarray(at, at + n), offset);
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
}
