// createApp(deps): the Elysia app, its routes and the one onError that turns every failure into
// `{"error": CODE, "message": ...}`. It never listens; listen.ts does.
import { Elysia } from "elysia";
import { errorResponse, HttpError } from "../errors.ts";
import { errorField, type Logger } from "../log.ts";
import { healthRoutes } from "./health.ts";
import { type IngestDeps, ingestRoutes } from "./ingest.ts";
import { metricsRoutes } from "./metrics.ts";
import { openApiRoutes } from "./openapi.ts";
import { type StatusDeps, statusRoutes } from "./status.ts";

export interface AppDeps extends IngestDeps {
  /** What /metrics shows besides the counters. */
  gauges: readonly { render(): string }[];
  /** What /status and /status.json show. */
  status: StatusDeps;
  log: Logger;
}

export function toHttpError(code: string | number, error: unknown, log: Logger): HttpError {
  if (error instanceof HttpError) return error;
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof HttpError) return cause; // wrapped by Elysia
  if (code === "NOT_FOUND") return new HttpError("NOT_FOUND", "no such path");
  log.limited("error", "http:internal", "unexpected error while handling a request", { error: errorField(error) });
  return new HttpError("INTERNAL", "internal error");
}

/** The public app. With `metrics: false` (ADMIN_PORT set), /metrics and /status are served only by the admin app. */
export function createApp(deps: AppDeps, { metrics = true } = {}) {
  const app = new Elysia()
    .onError(({ code, error }) => errorResponse(toHttpError(code, error, deps.log)))
    .use(ingestRoutes(deps))
    .use(healthRoutes(deps.state, deps.health))
    .use(openApiRoutes(deps.config));
  return metrics ? app.use(operatorRoutes(deps)) : app;
}

/** The operator endpoints alone, for the admin listener on ADMIN_HOST:ADMIN_PORT. */
export function createAdminApp(deps: AppDeps) {
  return new Elysia()
    .onError(({ code, error }) => errorResponse(toHttpError(code, error, deps.log)))
    .use(healthRoutes(deps.state, deps.health))
    .use(operatorRoutes(deps));
}

/** What operators look at: /metrics, and the status page. */
const operatorRoutes = (deps: AppDeps) =>
  new Elysia({ name: "operator" }).use(metricsRoutes(deps.metrics, deps.gauges)).use(statusRoutes(deps.status));
export type App = ReturnType<typeof createApp>;
