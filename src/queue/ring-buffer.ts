// The bounded queue between an HTTP thread and the upload side, in shared memory so that each
// runs on its own event loop. Payload bytes are copied into one preallocated byte ring, each
// followed by a newline, so the queue holds NDJSON already: a batch is one or two copies out of
// it. Record lengths sit in a second ring indexed with a power-of-two mask. Pushes are
// all-or-nothing and never evict: when a collection does not fit, the caller answers 503.
//
// One producer (an HTTP thread) and one consumer (the upload side), each with its own
// RingBuffer object over the same memory. The producer copies bytes in, then publishes them by
// adding to the shared counts; the consumer copies them out, then frees them by subtracting.
// With several HTTP threads, each has a ring of its own, and the consumer reads them all as one
// queue (ring-set.ts); the control words they share (waking, closing) are their group's
// (ring-group.ts).
import type { Batch } from "./batch.ts";
import { RingGroup } from "./ring-group.ts";
import { ndjsonBytes } from "./spans.ts";

const NEWLINE = 0x0a;

/** Slots of the control words (Int32). */
const PAYLOADS = 0; // payloads queued
const BYTES = 1; // bytes queued, newlines included (stored as u32 bits)
const PUSHED = 2; // payloads ever pushed, wrapping: disk mode acknowledges by this count
const CAPACITY = 3;
const CONTROL_SLOTS = 4;

/** The shared memory of one ring, to hand to another thread. */
export interface RingMemory {
  data: SharedArrayBuffer;
  lengths: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Its group's control words (ring-group.ts), shared with the other rings of its set. */
  group: SharedArrayBuffer;
}

/**
 * @example
 * const ring = new RingBuffer(100_000, 16 << 20);   // MAX_QUEUE_PAYLOADS, MAX_QUEUE_BYTES: the consumer's side
 * const producer = RingBuffer.attach(ring.memory);  // on the HTTP thread
 * producer.push(body, spans);                       // -1 when it does not all fit
 * const batch = ring.drain(20_000, 2 << 20);         // NDJSON, oldest first
 */
export class RingBuffer {
  readonly memory: RingMemory;
  readonly capacity: number;
  readonly capacityBytes: number;
  /** The control words this ring shares with the other rings of its set (its own, alone). */
  readonly group: RingGroup;
  private readonly data: Uint8Array;
  private readonly lengths: Uint32Array;
  private readonly control: Int32Array;
  private readonly mask: number;
  // The producer's write position and the consumer's read position: each is local to its side.
  private tailOffset = 0;
  private tailSlot = 0;
  private headOffset = 0;
  private headSlot = 0;

  /** A new ring; `capacityBytes` counts each payload's bytes plus its newline; `group`: its set's (RingSet), else its own. */
  constructor(capacity: number, capacityBytes: number, group?: SharedArrayBuffer);
  /** The other side's view of an existing ring (`RingBuffer.attach`). */
  constructor(memory: RingMemory);
  constructor(capacityOrMemory: number | RingMemory, capacityBytes = 0, group?: SharedArrayBuffer) {
    let memory: RingMemory;
    if (typeof capacityOrMemory === "number") {
      const capacity = capacityOrMemory;
      if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
      if (!(capacityBytes >= 1 && capacityBytes <= 2 ** 31)) throw new RangeError(`capacityBytes must be from 1 to 2^31, got ${capacityBytes}`);
      let size = 1;
      while (size < capacity) size *= 2;
      memory = {
        data: new SharedArrayBuffer(capacityBytes),
        lengths: new SharedArrayBuffer(size * 4),
        control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
        group: group ?? new RingGroup().memory,
      };
      new Int32Array(memory.control)[CAPACITY] = capacity;
    } else memory = capacityOrMemory;
    this.memory = memory;
    this.data = new Uint8Array(memory.data);
    this.lengths = new Uint32Array(memory.lengths);
    this.control = new Int32Array(memory.control);
    this.group = new RingGroup(memory.group);
    this.mask = this.lengths.length - 1;
    this.capacity = this.control[CAPACITY]!;
    this.capacityBytes = this.data.length;
  }

  static attach(memory: RingMemory): RingBuffer {
    return new RingBuffer(memory);
  }

  get length(): number {
    return Atomics.load(this.control, PAYLOADS);
  }

  get bytes(): number {
    return Atomics.load(this.control, BYTES) >>> 0;
  }

  /** Payloads ever pushed, as a wrapping 32-bit count. */
  get pushed(): number {
    return Atomics.load(this.control, PUSHED);
  }

  /** Whether `payloads` payloads taking `bytes` (newlines included) would fit right now. */
  fits(payloads: number, bytes: number): boolean {
    return this.length + payloads <= this.capacity && this.bytes + bytes <= this.capacityBytes;
  }

  /**
   * Producer: appends the payloads at `spans` ([start0, end0, start1, end1, ...]) of `source`,
   * copying their bytes, or none of them when they do not all fit. Returns the wrapping count of
   * payloads ever pushed once these are in (disk mode waits for the spool to reach it), or -1.
   * `prefix` goes in front of each (PARTITION_BY=version: partition/line-prefix.ts), and counts in its bytes.
   */
  push(source: Uint8Array, spans: readonly number[], prefix?: Uint8Array): number {
    const payloads = spans.length / 2;
    const bytes = ndjsonBytes(spans) + payloads * (prefix?.length ?? 0);
    // Payloads one comma apart (a compact JSON array) are copied in one go, commas becoming newlines.
    let compact = !prefix;
    for (let i = 2; i < spans.length && compact; i += 2) compact = spans[i]! === spans[i - 1]! + 1;
    // Counted in before CLOSED is read: a close() that has seen no push in progress after
    // setting CLOSED knows that none will publish payloads after it.
    const open = this.group.enter();
    try {
      if (!open || !this.fits(payloads, bytes)) return -1;
      return this.copyAndPublish(source, spans, payloads, bytes, compact, prefix);
    } finally {
      this.group.leave();
    }
  }

  private copyAndPublish(
    source: Uint8Array,
    spans: readonly number[],
    payloads: number,
    bytes: number,
    compact: boolean,
    prefix?: Uint8Array,
  ): number {
    const { data, capacityBytes } = this;
    let at = this.tailOffset;
    let slot = this.tailSlot;
    if (compact) {
      this.copyIn(source, spans[0]!, spans[spans.length - 1]! + 1, at);
      for (let i = 0; i < spans.length; i += 2) {
        const length = spans[i + 1]! - spans[i]!;
        at += length;
        if (at >= capacityBytes) at -= capacityBytes;
        data[at] = NEWLINE; // over the comma, or just past the last payload
        if (++at === capacityBytes) at = 0;
        this.lengths[slot] = length + 1;
        slot = (slot + 1) & this.mask;
      }
    } else {
      const head = prefix?.length ?? 0;
      for (let i = 0; i < spans.length; i += 2) {
        if (prefix) {
          this.copyIn(prefix, 0, head, at);
          at += head;
          if (at >= capacityBytes) at -= capacityBytes;
        }
        const start = spans[i]!;
        const length = spans[i + 1]! - start;
        this.copyIn(source, start, start + length, at);
        at += length;
        if (at >= capacityBytes) at -= capacityBytes;
        data[at] = NEWLINE;
        if (++at === capacityBytes) at = 0;
        this.lengths[slot] = head + length + 1;
        slot = (slot + 1) & this.mask;
      }
    }
    this.tailOffset = at;
    this.tailSlot = slot;
    // Bytes before payloads, and this ring before its group: a consumer that sees the payloads
    // sees their bytes counted, and one woken by the group finds them in the ring.
    Atomics.add(this.control, BYTES, bytes);
    Atomics.add(this.control, PAYLOADS, payloads);
    const pushed = (Atomics.add(this.control, PUSHED, payloads) + payloads) | 0;
    this.group.published(payloads, bytes);
    return pushed;
  }

  /** Copies source[start, end) into the byte ring at `at`, wrapping around its end. */
  private copyIn(source: Uint8Array, start: number, end: number, at: number): void {
    const room = this.capacityBytes - at;
    if (end - start <= room) this.data.set(source.subarray(start, end), at);
    else {
      this.data.set(source.subarray(start, start + room), at);
      this.data.set(source.subarray(start + room, end), 0);
    }
  }

  /** Refuses every push into its set from now on, once no push is in progress (RingGroup.close). */
  close(): void {
    this.group.close();
  }

  /** `push`, as a yes or no. */
  tryPush(source: Uint8Array, spans: readonly number[]): boolean {
    return this.push(source, spans) !== -1;
  }

  /**
   * Consumer: takes the oldest payloads, up to `maxPayloads` and `maxBytes`, as one NDJSON buffer: a
   * view into `into` when they fit there (so callers can reuse one buffer), else a new one. It
   * takes at least one record when not empty, so a record larger than `maxBytes` still moves;
   * with `strict`, it takes none instead.
   */
  drain(maxPayloads: number, maxBytes: number, into?: Uint8Array, strict = false): Batch {
    const { payloads, bytes } = this.measure(maxPayloads, maxBytes, strict);
    const ndjson = into && into.length >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
    this.take(payloads, bytes, ndjson, 0);
    return { ndjson, payloads };
  }

  /** Consumer: how many of the oldest records `drain` would take, and their bytes, taking none. */
  measure(maxPayloads: number, maxBytes: number, strict = false): { payloads: number; bytes: number } {
    const available = this.length;
    let payloads = 0;
    let bytes = 0;
    let slot = this.headSlot;
    while (payloads < available && payloads < maxPayloads) {
      const size = this.lengths[slot]!;
      if ((payloads > 0 || strict) && bytes + size > maxBytes) break;
      bytes += size;
      payloads++;
      slot = (slot + 1) & this.mask;
    }
    return { payloads, bytes };
  }

  /** Consumer: copies the oldest `payloads` records, `bytes` long (as measure() gave them), into `into` at `at`, and frees them. */
  take(payloads: number, bytes: number, into: Uint8Array, at: number): void {
    if (payloads === 0) return;
    const first = Math.min(bytes, this.capacityBytes - this.headOffset);
    into.set(this.data.subarray(this.headOffset, this.headOffset + first), at);
    if (first < bytes) into.set(this.data.subarray(0, bytes - first), at + first);
    this.headSlot = (this.headSlot + payloads) & this.mask;
    this.headOffset = (this.headOffset + bytes) % this.capacityBytes;
    // Freed only after the copy: the producer may write over these bytes from now on.
    Atomics.sub(this.control, PAYLOADS, payloads);
    Atomics.sub(this.control, BYTES, bytes);
    this.group.freed(payloads, bytes);
  }

  /** Consumer: resolves once this ring holds `payloads` or `bytes`, after `timeoutMs`, or on wake() (RingGroup.waitFor). */
  waitFor(payloads: number, bytes: number, timeoutMs = Infinity): Promise<void> {
    return this.group.waitFor(payloads, bytes, () => [this.length, this.bytes], timeoutMs);
  }

  /** Consumer: releases the waiter, if any, whatever the queue holds. */
  wake(): void {
    this.group.wake();
  }
}
