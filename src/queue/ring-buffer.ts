// The bounded queue between HTTP handlers and upload loops. Payload bytes are copied into one
// preallocated byte ring, each followed by a newline, so the queue holds NDJSON already: a batch
// is one or two copies out of it, and no per-payload object lives on the heap. Record lengths
// sit in a second ring indexed with a power-of-two mask. Pushes are all-or-nothing and never
// evict: when a collection does not fit, the caller answers 503 instead.
const NEWLINE = 0x0a;

export interface Batch {
  /** The records as NDJSON: each one followed by a newline. */
  ndjson: Uint8Array;
  records: number;
}

export class RingBuffer {
  private readonly data: Uint8Array;
  private readonly lengths: Uint32Array;
  private readonly mask: number;
  private head = 0; // index of the oldest record in `lengths`
  private count = 0;
  private start = 0; // byte offset of the oldest record in `data`
  private used = 0;
  private waiter: { records: number; bytes: number; resolve: () => void } | null = null;

  /** `capacityBytes` counts each payload's bytes plus its newline. */
  constructor(
    readonly capacity: number,
    readonly capacityBytes: number,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    if (!(capacityBytes >= 1)) throw new RangeError(`capacityBytes must be at least 1, got ${capacityBytes}`);
    let size = 1;
    while (size < capacity) size *= 2;
    this.lengths = new Uint32Array(size);
    this.mask = size - 1;
    this.data = new Uint8Array(capacityBytes);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.used;
  }

  /** Whether `records` payloads taking `bytes` (newlines included) would fit right now. */
  fits(records: number, bytes: number): boolean {
    return this.count + records <= this.capacity && this.used + bytes <= this.capacityBytes;
  }

  /**
   * Appends the payloads at `spans` ([start0, end0, start1, end1, ...]) of `source`, copying their
   * bytes, or none of them when they do not all fit.
   */
  tryPush(source: Uint8Array, spans: readonly number[]): boolean {
    const records = spans.length / 2;
    let bytes = records;
    for (let i = 0; i < spans.length; i += 2) bytes += spans[i + 1]! - spans[i]!;
    if (!this.fits(records, bytes)) return false;
    const { data, capacityBytes } = this;
    let at = this.start + this.used;
    if (at >= capacityBytes) at -= capacityBytes;
    let slot = (this.head + this.count) & this.mask;
    for (let i = 0; i < spans.length; i += 2) {
      const start = spans[i]!;
      const length = spans[i + 1]! - start;
      const room = capacityBytes - at;
      if (length <= room) {
        data.set(source.subarray(start, start + length), at);
      } else {
        data.set(source.subarray(start, start + room), at);
        data.set(source.subarray(start + room, start + length), 0);
      }
      at += length;
      if (at >= capacityBytes) at -= capacityBytes;
      data[at] = NEWLINE;
      if (++at === capacityBytes) at = 0;
      this.lengths[slot] = length + 1;
      slot = (slot + 1) & this.mask;
    }
    this.count += records;
    this.used += bytes;
    const w = this.waiter;
    if (w && (this.count >= w.records || this.used >= w.bytes)) this.wake();
    return true;
  }

  /**
   * Takes the oldest records, up to `maxRecords` and `maxBytes` (always at least one when not
   * empty, so a record larger than `maxBytes` still moves), as one NDJSON buffer: a view into
   * `into` when they fit there (so callers can reuse one buffer), else a new one.
   */
  drain(maxRecords: number, maxBytes: number, into?: Uint8Array): Batch {
    let records = 0;
    let bytes = 0;
    let slot = this.head;
    while (records < this.count && records < maxRecords) {
      const size = this.lengths[slot]!;
      if (records > 0 && bytes + size > maxBytes) break;
      bytes += size;
      records++;
      slot = (slot + 1) & this.mask;
    }
    const ndjson = into && into.length >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
    const first = Math.min(bytes, this.capacityBytes - this.start);
    ndjson.set(this.data.subarray(this.start, this.start + first), 0);
    if (first < bytes) ndjson.set(this.data.subarray(0, bytes - first), first);
    this.head = slot;
    this.count -= records;
    this.used -= bytes;
    this.start = this.used === 0 ? 0 : (this.start + bytes) % this.capacityBytes;
    return { ndjson, records };
  }

  /**
   * Resolves once the queue holds at least `records` records or `bytes` bytes, or on `wake()`.
   * One waiter at a time: the batcher, which serialises its callers.
   */
  waitFor(records: number, bytes: number): Promise<void> {
    if (this.waiter) throw new Error("RingBuffer.waitFor: already waited on");
    if (this.count >= records || this.used >= bytes) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = { records, bytes, resolve };
    });
  }

  /** Releases the waiter, if any, whatever the queue holds. */
  wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }
}
