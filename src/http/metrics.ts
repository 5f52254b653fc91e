// GET /metrics in the Prometheus text format.
import { Elysia } from "elysia";
import { renderMetrics, type Metrics, type QueueView } from "../metrics.ts";

export function metricsRoutes(metrics: Metrics, queue: QueueView) {
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    () => new Response(renderMetrics(metrics, queue), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  );
}
