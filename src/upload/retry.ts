// Retries of the upload side's calls: every store call, and every journal write, is tried again
// under the same key (and part number) until it succeeds, so loops never drop and never throw.
// Capped exponential backoff with jitter for retryable failures; non-retryable ones (403,
// NoSuchBucket) wait the cap, since an operator must act. Once stopped (the shutdown deadline),
// calls resolve to null instead of trying again.
import type { Logger } from "../log.ts";
import { errorField } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { StoreHealth } from "../shared/store-health.ts";
import { StoreError, storeErrorIndex } from "../store/store.ts";

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

/** What the upload side reports of its progress (the shared state, for /metrics). */
export interface UploadProgress {
  addUploadInFlight(payloads: number): void;
  uploadProgressAt: number;
}

export interface RetrierDeps {
  metrics: Metrics;
  health: StoreHealth;
  log: Logger;
  progress?: UploadProgress;
  /** Called before every attempt of a store call: the upload side paces its garbage collections by them. */
  onStoreCall?: () => void;
}

/**
 * @example
 * const retrier = new Retrier(policy, deps);
 * const etag = await retrier.store("part", payloads, () => store.multipart.uploadPart(key, id, 1, body)); // null once stopped
 */
export class Retrier {
  private stopped = false;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly deps: RetrierDeps,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The shutdown deadline: no call is tried again, and those waiting resolve to null. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * One store call, counted in the metrics and the store's health (unless `health` is false:
   * cleaning up an earlier process's upload does not decide whether this one can write).
   */
  store<T>(call: string, payloads: number, attempt: () => Promise<T>, { health: counts = true } = {}): Promise<T | null> {
    const { metrics, health, log, progress, onStoreCall } = this.deps;
    return this.retried(
      async (n) => {
        if (n > 0) metrics.uploadRetries.inc();
        onStoreCall?.();
        const started = performance.now();
        const out = await attempt();
        metrics.uploadSeconds.observe((performance.now() - started) / 1000);
        if (counts) health.success();
        if (progress) progress.uploadProgressAt = Date.now();
        return out;
      },
      (err, n) => {
        const e = err instanceof StoreError ? err : new StoreError("unknown", true, errorField(err), { cause: err });
        if (call === "complete" && n > 0 && e.type === "no_such_upload") {
          // The earlier attempt completed it, and its answer was lost: the upload is gone because it is the object now.
          log.warn("completing an upload again found it gone: the earlier attempt completed it", { error: e.message });
          return { value: undefined as T };
        }
        metrics.uploadErrors.inc(1, { error_type: e.type });
        if (counts) health.failure(e.retryable, storeErrorIndex(e.type));
        const delay = backoffMs(n, e.retryable, this.policy);
        log.limited(e.retryable ? "warn" : "error", `upload:${e.type}`, "upload failed; retrying", {
          call,
          error_type: e.type,
          error: e.message,
          retryable: e.retryable,
          retry_in_ms: delay,
          payloads,
        });
        return delay;
      },
    );
  }

  /** A journal write: a store call made without its record could be lost or written twice after a crash. */
  journal(write: () => Promise<void>): Promise<true | null> {
    return this.retried(
      async () => {
        await write();
        return true as const;
      },
      (err, n) => {
        const delay = backoffMs(n, true, this.policy);
        this.deps.log.limited("error", "spool:record", "recording an object in the spool failed; retrying", {
          error: errorField(err),
          retry_in_ms: delay,
        });
        return delay;
      },
    );
  }

  /**
   * Tries `attempt` (given the attempt number) until it succeeds; after a failure, `failed` reports
   * it and says how long to wait, or what to resolve to instead. Resolves to null once stopped.
   */
  private async retried<T>(attempt: (n: number) => Promise<T>, failed: (err: unknown, n: number) => number | { value: T }): Promise<T | null> {
    for (let n = 0; ; n++) {
      if (this.stopped) return null;
      try {
        return await attempt(n);
      } catch (err) {
        const next = failed(err, n);
        if (typeof next !== "number") return next.value;
        await new Promise((resolve) => setTimeout(resolve, next));
      }
    }
  }
}
