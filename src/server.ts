// The listening socket around the app: counts responses by status and tracks
// requests in flight, so shutdown can wait for them before closing the queue.
import { serve } from "./runtime.ts";
import type { Service } from "./service.ts";

export interface Listener {
  readonly port: number;
  /** The admin listener's port, when ADMIN_PORT is set. */
  readonly adminPort: number | null;
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** Resolves when no request is being handled. */
  whenNoRequests(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Elysia finds the path at the first "/" past the 11th character of the URL, which a short Host
 * ("x") or none at all breaks: such requests get a canonical host, so routing never depends on
 * the Host header.
 */
export function withRoutableUrl(request: Request): Request {
  const url = request.url;
  const scheme = url.indexOf("://");
  // No Host header at all (HTTP/1.0, as HAProxy's health checks send): Bun gives just the path.
  const pathStart = scheme < 0 ? 0 : url.indexOf("/", scheme + 3);
  if (pathStart >= 11) return request;
  return new Request(`http://s3-ingest.invalid${pathStart < 0 ? "/" : url.slice(pathStart)}`, request);
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
        const response = await app.handle(withRoutableUrl(request));
        metrics.requests.inc(response.status);
        return response;
      } finally {
        if (--inFlight === 0 && waiters.length) for (const resolve of waiters.splice(0)) resolve();
      }
    },
  });
  const admin = service.adminApp;
  const adminServer = admin
    ? serve({
        hostname: config.ADMIN_HOST,
        port: config.ADMIN_PORT,
        idleTimeoutSecs: config.IDLE_TIMEOUT_SECS,
        fetch: async (request) => admin.handle(withRoutableUrl(request)),
      })
    : null;
  return {
    port: server.port,
    adminPort: adminServer?.port ?? null,
    get inFlight() {
      return inFlight;
    },
    whenNoRequests() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop: async () => {
      await server.stop();
      await adminServer?.stop();
    },
  };
}
