// Liveness and readiness for the load balancer: /health is 200 while the process runs; /ready
// is 503 while draining or while the store is failing, so traffic moves to healthy instances.
// Both read shared state, so they answer the truth whichever thread serves them.
import { Elysia } from "elysia";
import type { SharedState } from "../shared/state.ts";
import type { StoreHealth } from "../shared/store-health.ts";

export function healthRoutes(state: SharedState, health: StoreHealth) {
  return new Elysia({ name: "health" })
    .get("/health", () => ({ status: "ok" }))
    .get("/ready", ({ set }) => {
      const reason = state.draining ? "draining" : health.healthy ? null : "store_failing";
      if (reason) set.status = 503;
      return { ready: reason === null, ...(reason && { reason }) };
    });
}
