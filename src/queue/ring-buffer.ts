// The bounded queue between the HTTP thread and the upload side, in shared memory so that each
// runs on its own event loop. Payload bytes are copied into one preallocated byte ring, each
// followed by a newline, so the queue holds NDJSON already: a batch is one or two copies out of
// it. Record lengths sit in a second ring indexed with a power-of-two mask. Pushes are
// all-or-nothing and never evict: when a collection does not fit, the caller answers 503.
//
// One producer (the HTTP thread) and one consumer (the upload side), each with its own
// RingBuffer object over the same memory. The producer copies bytes in, then publishes them by
// adding to the shared counts; the consumer copies them out, then frees them by subtracting. The
// consumer sleeps on a futex word that the producer bumps only once a waiter's threshold is met.
import type { Batch } from "./batch.ts";
import { ndjsonBytes } from "./spans.ts";

const NEWLINE = 0x0a;

/** Slots of the control words (Int32). */
const PAYLOADS = 0; // payloads queued
const BYTES = 1; // bytes queued, newlines included (stored as u32 bits)
const WANT_PAYLOADS = 2; // the consumer's wake threshold; 0: nobody waits
const WANT_BYTES = 3;
const WAKE = 4; // futex word the consumer sleeps on
const PUSHED = 5; // payloads ever pushed, wrapping: disk mode acknowledges by this count
const CAPACITY = 6;
const CLOSED = 7; // set by close(): pushes are refused from then on
const PUSHING = 8; // a push in progress (the producer counts itself in before it reads CLOSED)
const CONTROL_SLOTS = 10;

/** The shared memory of one ring, to hand to another thread. */
export interface RingMemory {
  data: SharedArrayBuffer;
  lengths: SharedArrayBuffer;
  control: SharedArrayBuffer;
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
  private readonly data: Uint8Array;
  private readonly lengths: Uint32Array;
  private readonly control: Int32Array;
  private readonly mask: number;
  // The producer's write position and the consumer's read position: each is local to its side.
  private tailOffset = 0;
  private tailSlot = 0;
  private headOffset = 0;
  private headSlot = 0;
  private wakeCalls = 0;

  /** A new ring; `capacityBytes` counts each payload's bytes plus its newline. */
  constructor(capacity: number, capacityBytes: number);
  /** The other side's view of an existing ring (`RingBuffer.attach`). */
  constructor(memory: RingMemory);
  constructor(capacityOrMemory: number | RingMemory, capacityBytes = 0) {
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
      };
      new Int32Array(memory.control)[CAPACITY] = capacity;
    } else memory = capacityOrMemory;
    this.memory = memory;
    this.data = new Uint8Array(memory.data);
    this.lengths = new Uint32Array(memory.lengths);
    this.control = new Int32Array(memory.control);
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
    Atomics.add(this.control, PUSHING, 1);
    try {
      if (Atomics.load(this.control, CLOSED) === 1 || !this.fits(payloads, bytes)) return -1;
      return this.copyAndPublish(source, spans, payloads, bytes, compact, prefix);
    } finally {
      Atomics.sub(this.control, PUSHING, 1);
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
    // Bytes before payloads: a consumer that sees the payloads sees their bytes counted.
    const usedBytes = (Atomics.add(this.control, BYTES, bytes) >>> 0) + bytes;
    const usedPayloads = Atomics.add(this.control, PAYLOADS, payloads) + payloads;
    const pushed = (Atomics.add(this.control, PUSHED, payloads) + payloads) | 0;
    const want = Atomics.load(this.control, WANT_PAYLOADS);
    if (want !== 0 && (usedPayloads >= want || usedBytes >= Atomics.load(this.control, WANT_BYTES) >>> 0)) {
      Atomics.store(this.control, WANT_PAYLOADS, 0);
      this.bump();
    }
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

  /**
   * Refuses every push from now on, and returns once no push is in progress: what the queue
   * holds then is all it will ever hold. Memory mode calls it at the shutdown deadline, before
   * it saves the queue to the spool, so no collection can be acknowledged after that.
   */
  close(): void {
    Atomics.store(this.control, CLOSED, 1);
    while (Atomics.load(this.control, PUSHING) > 0); // a push takes microseconds and never blocks
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
    const ndjson = into && into.length >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
    const first = Math.min(bytes, this.capacityBytes - this.headOffset);
    ndjson.set(this.data.subarray(this.headOffset, this.headOffset + first), 0);
    if (first < bytes) ndjson.set(this.data.subarray(0, bytes - first), first);
    this.headSlot = slot;
    this.headOffset = (this.headOffset + bytes) % this.capacityBytes;
    // Freed only after the copy: the producer may write over these bytes from now on.
    Atomics.sub(this.control, PAYLOADS, payloads);
    Atomics.sub(this.control, BYTES, bytes);
    return { ndjson, payloads };
  }

  /**
   * Consumer: resolves once the queue holds at least `payloads` payloads or `bytes` bytes, after
   * `timeoutMs`, or on `wake()`. One waiter at a time: the consumer, which serialises its callers.
   */
  async waitFor(payloads: number, bytes: number, timeoutMs = Infinity): Promise<void> {
    const wakeCalls = this.wakeCalls;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      Atomics.store(this.control, WANT_BYTES, Math.min(bytes, 0xffffffff)); // read back as u32
      Atomics.store(this.control, WANT_PAYLOADS, Math.max(1, Math.min(payloads, 0x7fffffff)));
      const seen = Atomics.load(this.control, WAKE);
      const left = deadline - performance.now();
      if (this.length >= payloads || this.bytes >= bytes || this.wakeCalls !== wakeCalls || left <= 0) break;
      const wait = Atomics.waitAsync(this.control, WAKE, seen, left === Infinity ? undefined : left);
      if (wait.async) await wait.value;
    }
    Atomics.store(this.control, WANT_PAYLOADS, 0);
  }

  /** Consumer: releases the waiter, if any, whatever the queue holds. */
  wake(): void {
    this.wakeCalls++;
    this.bump();
  }

  private bump(): void {
    Atomics.add(this.control, WAKE, 1);
    Atomics.notify(this.control, WAKE);
  }
}
