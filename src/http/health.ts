// Liveness and readiness for the load balancer: /health is 200 while the process runs; /ready
// is 503 while draining or while the store is failing, so traffic moves to healthy instances.
// Both read shared state, so they answer the truth whichever thread serves them.
import { Elysia } from "elysia";
import type { SharedState } from "../shared/state.ts";
import type { StoreHealth } from "../shared/store-health.ts";

/** ready, draining, or store_failing: what /ready says, in one word (the status page shows it too). */
export const serviceState = (state: SharedState, health: StoreHealth) => (state.draining ? "draining" : health.healthy ? "ready" : "store_failing");

export function healthRoutes(state: SharedState, health: StoreHealth) {
  return new Elysia({ name: "health" })
    .get("/health", () => ({ status: "ok" }))
    .get("/ready", ({ set }) => {
      const now = serviceState(state, health);
      if (now !== "ready") set.status = 503;
      return { ready: now === "ready", ...(now !== "ready" && { reason: now }) };
    });
}
