// Request deadlines (REQUEST_TIMEOUT_MS) that fire on time even while the HTTP thread's timers
// starve. With thousands of busy sockets, Bun runs that loop's timers about once a second or
// less (BENCHMARKS.md), but it keeps running request handlers: so `sweep()` runs from the
// request path, and from a timer for when the loop is idle. Every deadline is the same length,
// so they expire in the order they were set: the pending ones sit in a Set, whose iteration
// order is insertion order, and a sweep stops at the first one still in the future.

interface Entry {
  at: number;
  reject: (err: Error) => void;
}

/**
 * @param now @default performance.now
 * @example
 * const deadlines = new Deadlines(10_000, () => new HttpError("REQUEST_TIMEOUT", "too slow"));
 * const body = await deadlines.race(request.arrayBuffer(), startedAt);
 * deadlines.sweep(); // from the request path and a timer
 */
export class Deadlines {
  private readonly pending = new Set<Entry>();
  private last = 0;

  constructor(
    private readonly ms: number,
    private readonly error: () => Error,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Resolves as `work` does, or rejects with the error given at construction once the deadline,
   * `ms` after `startedAt` (a value of `now()`), has passed first.
   */
  race<T>(work: Promise<T>, startedAt: number): Promise<T> {
    // Never earlier than the one before: insertion order stays the expiry order.
    this.last = Math.max(this.last, startedAt + this.ms);
    const at = this.last;
    if (at <= this.now()) return Promise.reject(this.error());
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { at, reject };
      this.pending.add(entry);
      work.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (err) => {
          this.pending.delete(entry);
          reject(err);
        },
      );
    });
  }

  /** Rejects every race whose deadline has passed. Cheap when none has: one clock read at most. */
  sweep(): void {
    if (this.pending.size === 0) return;
    const now = this.now();
    for (const entry of this.pending) {
      if (entry.at > now) break;
      this.pending.delete(entry);
      entry.reject(this.error());
    }
  }

  /** Races still waiting (for tests). */
  get size(): number {
    return this.pending.size;
  }
}
