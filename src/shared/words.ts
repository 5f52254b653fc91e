// Named words in shared memory: 32-bit ones for flags and wrapping counts, 64-bit ones for
// counters and wall-clock times. Every access is atomic, so a value one thread writes is read
// whole by the other (plain Float64 accesses to shared memory may tear; these may not).
export class Words {
  readonly memory: SharedArrayBuffer;
  private readonly i64: BigInt64Array;

  constructor(slots: number, memory?: SharedArrayBuffer) {
    this.memory = memory ?? new SharedArrayBuffer(slots * 8);
    this.i64 = new BigInt64Array(this.memory);
  }

  get(slot: number): number {
    return Number(Atomics.load(this.i64, slot));
  }

  set(slot: number, value: number): void {
    Atomics.store(this.i64, slot, BigInt(value));
  }

  add(slot: number, by: number): number {
    return Number(Atomics.add(this.i64, slot, BigInt(by))) + by;
  }

  /** Sets `slot` to `value` only if it still holds `expected`; returns whether it did. */
  replace(slot: number, expected: number, value: number): boolean {
    return Atomics.compareExchange(this.i64, slot, BigInt(expected), BigInt(value)) === BigInt(expected);
  }

  get slots(): number {
    return this.i64.length;
  }
}

/** Hands out consecutive slots of a Words: both threads allocate in the same order, so agree. */
export class SlotAllocator {
  private next = 0;
  constructor(readonly words: Words) {}

  take(n = 1): number {
    const first = this.next;
    this.next += n;
    if (this.next > this.words.slots) throw new RangeError(`shared words exhausted: ${this.next} of ${this.words.slots}`);
    return first;
  }
}
