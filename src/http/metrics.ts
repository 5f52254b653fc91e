// GET /metrics in the Prometheus text format.
import { Elysia } from "elysia";
import { type Metrics, renderMetrics } from "../metrics.ts";

export function metricsRoutes(metrics: Metrics, gauges: readonly { render(): string }[]) {
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    () => new Response(renderMetrics(metrics, gauges), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  );
}
