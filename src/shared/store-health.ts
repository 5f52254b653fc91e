// Whether the store is doing its job, for /ready and Retry-After: unhealthy after a
// non-retryable error, or after retryable failures with no success for `failingAfterMs`. Any
// success makes it healthy again. The upload side writes it; the HTTP thread reads it.
import { Words } from "./words.ts";

const FAILING = 0;
const FAILING_SINCE = 1;
const FATAL = 2;

export class StoreHealth {
  private readonly words: Words;

  constructor(
    private readonly failingAfterMs: number,
    private readonly now: () => number = Date.now,
    memory?: SharedArrayBuffer,
  ) {
    this.words = new Words(3, memory);
  }

  get memory(): SharedArrayBuffer {
    return this.words.memory;
  }

  success(): void {
    this.words.set(FAILING, 0);
    this.words.set(FATAL, 0);
  }

  /** One writer (the upload side): the start time is written before the flag that publishes it. */
  failure(retryable: boolean): void {
    if (this.words.get(FAILING) === 0) {
      this.words.set(FAILING_SINCE, this.now());
      this.words.set(FAILING, 1);
    }
    if (!retryable) this.words.set(FATAL, 1);
  }

  get healthy(): boolean {
    if (this.words.get(FATAL) === 1) return false;
    return this.words.get(FAILING) === 0 || this.now() - this.words.get(FAILING_SINCE) < this.failingAfterMs;
  }
}
