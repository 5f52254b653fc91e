// Liveness and readiness for the load balancer: /health is 200 while the process runs; /ready
// is 503 while draining or while the store is failing, so traffic moves to healthy instances.
import { Elysia } from "elysia";
import type { StoreHealth } from "../upload/store-health.ts";
import type { ServiceState } from "./ingest.ts";

export function healthRoutes(state: ServiceState, health: StoreHealth) {
  return new Elysia({ name: "health" })
    .get("/health", () => ({ status: "ok" }))
    .get("/ready", ({ set }) => {
      const reason = state.draining ? "draining" : health.healthy ? null : "store_failing";
      if (reason) set.status = 503;
      return { ready: reason === null, ...(reason && { reason }) };
    });
}
