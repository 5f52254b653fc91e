// Per-token rate limit (TOKEN_RATE_LIMIT_PER_SEC): a token bucket per token digest holding one
// second of requests. Memory is bounded however many distinct tokens arrive: past `maxKeys`
// buckets the least recently used one is dropped (its token starts again with a full bucket).
export interface RateLimiter {
  /** 0 when the request may go ahead, else the seconds to wait (for Retry-After). */
  take(key: string): number;
  readonly size: number;
}

/**
 * @param perSecond TOKEN_RATE_LIMIT_PER_SEC, and the burst.
 * @param maxKeys most tokens tracked at once.
 * @param now @default Date.now
 * @example
 * const limiter = createRateLimiter(10, 100_000);
 * limiter.take(digest); // 0: go ahead; n: retry after n seconds
 */
export function createRateLimiter(perSecond: number, maxKeys: number, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    get size() {
      return buckets.size;
    },
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (b) {
        buckets.delete(key); // re-inserted below: Map order is the recency order
        b.tokens = Math.min(perSecond, b.tokens + ((t - b.at) / 1000) * perSecond);
        b.at = t;
      } else {
        b = { tokens: perSecond, at: t };
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
      }
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
    },
  };
}
