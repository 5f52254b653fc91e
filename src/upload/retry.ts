// Retry policy of the upload loops: capped exponential backoff with jitter for retryable
// failures; non-retryable ones (403, NoSuchBucket) wait the cap, since an operator must act.
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * @param random @default Math.random
 * @example
 * backoffMs(3, true, { baseMs: 100, maxMs: 30_000 }); // between 400 and 800
 */
export function backoffMs(attempt: number, retryable: boolean, policy: RetryPolicy, random: () => number = Math.random): number {
  if (!retryable) return policy.maxMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}
