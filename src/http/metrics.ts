// GET /metrics in the Prometheus text format.
import { Elysia } from "elysia";
import { renderMetrics, type Metrics, type QueueView, type SpoolView } from "../metrics.ts";

export function metricsRoutes(metrics: Metrics, queue: QueueView | null, spool: SpoolView | null) {
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    () => new Response(renderMetrics(metrics, queue, spool), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  );
}
