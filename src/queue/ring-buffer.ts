// The bounded queue between HTTP handlers and upload loops: a preallocated ring indexed with a
// power-of-two mask, bounded by item count and by bytes. Pushes are all-or-nothing and never
// evict: when a collection does not fit, the caller answers 503 instead.
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private readonly mask: number;
  private head = 0;
  private count = 0;
  private byteCount = 0;
  private waiter: { records: number; bytes: number; resolve: () => void } | null = null;

  constructor(
    readonly capacity: number,
    readonly capacityBytes: number,
    private readonly sizeOf: (item: T) => number,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    let size = 1;
    while (size < capacity) size *= 2;
    this.slots = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** Whether `records` items of `bytes` total would fit right now. */
  fits(records: number, bytes: number): boolean {
    return this.count + records <= this.capacity && this.byteCount + bytes <= this.capacityBytes;
  }

  /** Appends every item, or none when they do not all fit. `bytes` is the sum of their sizes. */
  tryPushAll(items: readonly T[], bytes: number): boolean {
    if (!this.fits(items.length, bytes)) return false;
    let tail = (this.head + this.count) & this.mask;
    for (let i = 0; i < items.length; i++) {
      this.slots[tail] = items[i];
      tail = (tail + 1) & this.mask;
    }
    this.count += items.length;
    this.byteCount += bytes;
    const w = this.waiter;
    if (w && (this.count >= w.records || this.byteCount >= w.bytes)) this.wake();
    return true;
  }

  /**
   * Takes the oldest items, up to `maxRecords` and `maxBytes` (always at least one when not
   * empty, so an item larger than `maxBytes` still moves), and clears their slots.
   */
  drain(maxRecords: number, maxBytes: number): T[] {
    const out: T[] = [];
    let bytes = 0;
    while (this.count > 0 && out.length < maxRecords) {
      const item = this.slots[this.head] as T;
      const size = this.sizeOf(item);
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(item);
      bytes += size;
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.count--;
    }
    this.byteCount -= bytes;
    return out;
  }

  /**
   * Resolves once the queue holds at least `records` items or `bytes` bytes, or on `wake()`.
   * One waiter at a time: the batcher, which serialises its callers.
   */
  waitFor(records: number, bytes: number): Promise<void> {
    if (this.waiter) throw new Error("RingBuffer.waitFor: already waited on");
    if (this.count >= records || this.byteCount >= bytes) return Promise.resolve();
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
