// What the HTTP thread owns, built over the memory it shares with the upload side: the apps
// (public and admin), the producer's end of the queue, and the housekeeping that has to run on
// this thread. Its timers starve while thousands of sockets keep its event loop busy, so that
// housekeeping (request deadlines, disk acknowledgements, a token reload) also runs from the
// request path, through `pump()`.

import { bufferView } from "../buffer/gauges.ts";
import { createBufferWriter } from "../buffer/writer.ts";
import { parquetColumnNames } from "../columns.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { HTTP_TICK_MS, SharedState } from "../shared/state.ts";
import { StoreHealth } from "../shared/store-health.ts";
import { newSampleRing } from "../status/sampler.ts";
import { createAdminApp, createApp } from "./app.ts";
import { serviceGauges } from "./gauges.ts";
import { RequestsInFlight } from "./in-flight.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { requestDeadlines } from "./read-body.ts";
import { withRoutableUrl } from "./routable-url.ts";
import { createTokenCheck } from "./tokens.ts";
import type { HttpThreadMemory, ServiceFacts } from "./worker.ts";

/**
 * @example
 * const http = createHttpThread(config, memory, log, about); // memory: service.memory, from the main thread
 * listen(http); http.startHousekeeping();
 */
export function createHttpThread(config: Config, memory: HttpThreadMemory, log: Logger, about: ServiceFacts, thread = 0) {
  const state = new SharedState(memory.state);
  const health = new StoreHealth(config.STORE_FAILING_AFTER_MS, Date.now, memory.health);
  const metrics = createMetrics(memory.metrics, parquetColumnNames(config));
  const buffer = createBufferWriter(memory.buffer, thread);
  const deadlines = requestDeadlines(config.REQUEST_TIMEOUT_MS);
  const tokens = createTokenCheck(config.ALLOWED_TOKENS, config.TOKENS_FILE);
  const limiter = memory.rateLimit ? createRateLimiter(config.TOKEN_RATE_LIMIT_PER_SEC, { memory: memory.rateLimit }) : null;
  const gauges = serviceGauges(memory.buffer, state, HTTP_TICK_MS);
  const inFlight = new RequestsInFlight(state);
  const history = newSampleRing(memory.history);
  const status = { config, state, health, metrics, buffer: bufferView(memory.buffer), history, about };
  const deps = { config, buffer, tokens, limiter, metrics, health, state, inFlight, deadlines, gauges, status, log };
  const separateAdmin = config.ADMIN_PORT !== 0;
  const app = createApp(deps, { metrics: !separateAdmin });
  const adminApp = separateAdmin ? createAdminApp(deps) : null;

  let tokensSeen = state.tokensGeneration;
  /** The housekeeping: a few loads and compares when there is nothing to do. */
  function pump(): void {
    deadlines.sweep();
    buffer.poll();
    if (state.tokensGeneration !== tokensSeen) {
      tokensSeen = state.tokensGeneration;
      const reloaded = tokens.reload();
      if (reloaded.ok) log.info("tokens reloaded", { tokens: reloaded.count });
      else log.error("reloading TOKENS_FILE failed; keeping the previous tokens", { error: reloaded.error });
    }
  }

  /** One request, start to end: what the listening socket calls. */
  async function handle(request: Request): Promise<Response> {
    pump();
    const routable = withRoutableUrl(request);
    try {
      const response = await app.handle(routable);
      metrics.requests.inc(response.status);
      metrics.threadRequests.incAt(thread);
      return response;
    } finally {
      inFlight.leave(routable);
    }
  }

  /** The timer that runs `pump()` while no request comes, and publishes the loop's heartbeat. */
  function startHousekeeping(): () => void {
    let last = 0;
    const tick = () => {
      const now = performance.now();
      if (last > 0) metrics.httpLoopLag.observe(Math.max(0, now - last - HTTP_TICK_MS) / 1000);
      last = now;
      state.httpTicked(thread, Date.now());
      pump();
    };
    tick();
    const timer = setInterval(tick, HTTP_TICK_MS);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  return { config, app, adminApp, metrics, state, health, tokens, pump, handle, startHousekeeping };
}
export type HttpThread = ReturnType<typeof createHttpThread>;
