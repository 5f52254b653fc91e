// The listening socket around the app: counts responses by status and tracks
// requests in flight, so shutdown can wait for them before closing the queue.
import { serve } from "./runtime.ts";
import type { Service } from "./service.ts";

export interface Listener {
  readonly port: number;
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** Resolves when no request is being handled. */
  whenNoRequests(): Promise<void>;
  stop(): Promise<void>;
}

export function listen(service: Service): Listener {
  const { app, metrics, config } = service;
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const server = serve({
    hostname: config.HOST,
    port: config.PORT,
    idleTimeoutSecs: config.IDLE_TIMEOUT_SECS,
    async fetch(request) {
      inFlight++;
      try {
        const response = await app.handle(request);
        metrics.requests.inc(response.status);
        return response;
      } finally {
        if (--inFlight === 0 && waiters.length) for (const resolve of waiters.splice(0)) resolve();
      }
    },
  });
  return {
    port: server.port,
    get inFlight() {
      return inFlight;
    },
    whenNoRequests() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop: () => server.stop(),
  };
}
