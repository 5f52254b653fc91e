// The object-format seam: how a batch becomes bytes in an object. An object is its format's
// head, then frames (one per encoded batch, or per stage of a partition's payloads) back to
// back, then what completing it appends (its tail). Parts of a multipart upload end on frame
// boundaries, so the bytes not yet uploaded are whole frames, which the format turns back into
// NDJSON at the shutdown deadline. A format is chosen once at start-up (formats.ts); the writer
// never asks which it has. NDJSON (ndjson-format.ts) is one implementation.
import type { Batch } from "../queue/batch.ts";

/** An encoded batch: one frame of an object. */
export interface Frame {
  body: Uint8Array;
  /** The format it was encoded in: a frame joins only an object of the same extension. */
  format: ObjectFormat;
  /** What the format's tail needs to know of this frame (a row group's metadata); absent if nothing. */
  meta?: unknown;
}

/** A frame with `meta`, where it lies in its object: the writer keeps these for the format's tail. */
export interface PlacedFrame {
  /** Its first byte's offset in the object (the head included). */
  offset: number;
  length: number;
  payloads: number;
  meta: unknown;
}

/** A whole object of one payload, written another way than as a frame (a lone payload as `.json`). */
export interface SingleObject {
  body: Uint8Array;
  extension: string;
  contentType: string;
}

export interface ObjectFormat {
  /** The key's extension, with its dot (`.ndjson.zst`). */
  readonly extension: string;
  readonly contentType: string;
  readonly contentEncoding?: string;
  /**
   * Whether frames are encoded from lines with their prefix (partition/line-prefix.ts), which the
   * format reads and leaves out of the object; otherwise the writer strips prefixes first.
   */
  readonly keepsLinePrefixes?: boolean;
  /** The bytes every object starts with; empty for none. */
  readonly head: Uint8Array;
  /** Encodes a batch, off the event loop where it can. The batch's buffer may be reused once this resolves. */
  encode(batch: Batch): Promise<Frame>;
  /** What completing an object appends, given its frames that have `meta`; empty for nothing. */
  tail(frames: readonly PlacedFrame[]): Uint8Array;
  /**
   * Whole frames back to NDJSON (the shutdown deadline saves them): `body` may also hold the head
   * before them or the tail after them; `frames` are those with `meta` among them, their offsets
   * from `body`'s start.
   */
  toNdjson(body: Uint8Array, frames: readonly PlacedFrame[]): Promise<Uint8Array>;
  /** An object of exactly one payload, written otherwise; null (or absent) to write it as its frames. */
  single?(frames: Uint8Array): SingleObject | null;
}
