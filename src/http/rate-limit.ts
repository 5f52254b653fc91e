// Per-token rate limit (TOKEN_RATE_LIMIT_PER_SEC), one limit per token over every HTTP thread:
// the buckets live in shared memory, and each thread takes from them with a compare-and-swap,
// no lock. Each bucket is GCRA's one number, the theoretical arrival time (TAT): a request may go
// when TAT, moved on by one emission interval T, is at most one second's burst ahead of now.
// That is a token bucket holding `perSecond` requests that refills at `perSecond` a second.
//
// A slot is one 64-bit word: a 20-bit tag from the key's hash and the TAT in microseconds modulo
// 2^44 (203 days). Open addressing with a short probe; memory is bounded however many tokens
// arrive. A new key takes an empty slot, else one whose TAT has passed (a full bucket, so nothing
// is lost by forgetting it), else the one with the earliest TAT: the bucket nearest to full.

const TIME_BITS = 44n;
const TIME_MOD = 2 ** 44;
const TIME_MASK = (1n << TIME_BITS) - 1n;
const PROBE = 8;
const SECOND_US = 1_000_000;

export interface RateLimiter {
  /** 0 when the request may go ahead, else the whole seconds to wait (for Retry-After), at least 1. */
  take(key: string): number;
  /** The shared slots: hand them to every HTTP thread's limiter. */
  readonly memory: SharedArrayBuffer;
}

export interface RateLimiterOptions {
  /** Another thread's `memory`, to share its buckets. */
  memory?: SharedArrayBuffer;
  /** Buckets (a power of two): @default 131072, 1 MiB. */
  slots?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Two FNV-1a hashes of the key: the slot and the tag. */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a >>> 0, (b >>> 12) & 0xfffff || 1];
}

/**
 * @param perSecond TOKEN_RATE_LIMIT_PER_SEC, and the burst.
 * @example
 * const limiter = createRateLimiter(10);                                  // on the main thread
 * const same = createRateLimiter(10, { memory: limiter.memory });         // in each HTTP thread
 * same.take(digest); // 0: go ahead; n: retry after n seconds
 */
export function createRateLimiter(perSecond: number, options: RateLimiterOptions = {}): RateLimiter {
  const slots = options.slots ?? 1 << 17;
  if (slots & (slots - 1)) throw new RangeError(`slots must be a power of two, got ${slots}`);
  const memory = options.memory ?? new SharedArrayBuffer(slots * 8);
  const words = new BigUint64Array(memory);
  const mask = words.length - 1;
  const now = options.now ?? Date.now;
  const interval = Math.max(1, Math.floor(SECOND_US / perSecond)); // T
  const burst = interval * perSecond; // exactly `perSecond` requests' worth

  /** A slot's TAT as microseconds from `at`: negative when passed. A slot is never more than the burst ahead. */
  const ahead = (word: bigint, at: number) => {
    let d = (Number(word & TIME_MASK) - at) % TIME_MOD;
    if (d > TIME_MOD / 2) d -= TIME_MOD;
    else if (d < -TIME_MOD / 2) d += TIME_MOD;
    return d > burst ? -1 : d;
  };
  const pack = (tag: number, at: number) => (BigInt(tag) << TIME_BITS) | BigInt(at % TIME_MOD);

  return {
    memory,
    take(key) {
      const [h, tag] = hashes(key);
      const tagBig = BigInt(tag);
      for (;;) {
        const at = Math.round(now() * 1000);
        let found = -1;
        let victim = -1;
        let victimAhead = Number.POSITIVE_INFINITY;
        for (let i = 0; i < PROBE; i++) {
          const slot = (h + i) & mask;
          const word = Atomics.load(words, slot);
          if (word === 0n) {
            if (victimAhead > -2) [victim, victimAhead] = [slot, -2]; // empty first
            continue;
          }
          if (word >> TIME_BITS === tagBig) {
            found = slot;
            break;
          }
          const d = Math.max(-1, ahead(word, at)); // passed: -1
          if (d < victimAhead) [victim, victimAhead] = [slot, d];
        }
        const slot = found >= 0 ? found : victim;
        const old = Atomics.load(words, slot);
        if (found >= 0 && old >> TIME_BITS !== tagBig) continue; // evicted meanwhile: look again
        const from = found >= 0 ? Math.max(0, ahead(old, at)) : 0;
        const next = from + interval;
        if (next > burst) return Math.max(1, Math.ceil((next - burst) / SECOND_US));
        if (Atomics.compareExchange(words, slot, old, pack(tag, at + next)) === old) return 0;
      }
    },
  };
}
