// Whether the store is doing its job, for /ready and Retry-After: unhealthy after a
// non-retryable error, or after retryable failures with no success for `failingAfterMs`. Any
// success makes it healthy again. The upload side writes it; the HTTP thread reads it. It also
// keeps the last failure (its error type, as the caller's index into its list of types, and when)
// for the status page: a success does not clear that.
import { Words } from "./words.ts";

const FAILING = 0;
const FAILING_SINCE = 1;
const FATAL = 2;
const LAST_ERROR_TYPE = 3; // the type's index + 1; 0 for none yet
const LAST_ERROR_AT = 4;
const SLOTS = 5;

export class StoreHealth {
  private readonly words: Words;

  constructor(
    private readonly failingAfterMs: number,
    private readonly now: () => number = Date.now,
    memory?: SharedArrayBuffer,
  ) {
    this.words = new Words(SLOTS, memory);
  }

  get memory(): SharedArrayBuffer {
    return this.words.memory;
  }

  success(): void {
    this.words.set(FAILING, 0);
    this.words.set(FATAL, 0);
  }

  /**
   * One writer (the upload side): the start time is written before the flag that publishes it.
   * `type`: the error type's index in the caller's list of types (STORE_ERROR_TYPES).
   */
  failure(retryable: boolean, type = 0): void {
    this.words.set(LAST_ERROR_AT, this.now());
    this.words.set(LAST_ERROR_TYPE, type + 1);
    if (this.words.get(FAILING) === 0) {
      this.words.set(FAILING_SINCE, this.now());
      this.words.set(FAILING, 1);
    }
    if (!retryable) this.words.set(FATAL, 1);
  }

  /** The last failure, healthy since or not: its type's index and when it happened. */
  get lastError(): { type: number; at: number } | null {
    const type = this.words.get(LAST_ERROR_TYPE);
    return type === 0 ? null : { type: type - 1, at: this.words.get(LAST_ERROR_AT) };
  }

  get healthy(): boolean {
    if (this.words.get(FATAL) === 1) return false;
    return this.words.get(FAILING) === 0 || this.now() - this.words.get(FAILING_SINCE) < this.failingAfterMs;
  }
}
