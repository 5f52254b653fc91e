// The ordered drain on SIGTERM/SIGINT: refuse new posts (and fail /ready), let requests in flight
// finish, write every queued payload including partial batches, all within SHUTDOWN_TIMEOUT_MS.
import type { Listener } from "./server.ts";
import type { Service } from "./service.ts";

export interface DrainResult {
  ok: boolean;
  /** Acknowledged payloads not yet written when the drain ended. */
  unwritten: number;
  /** Requests still being received at the deadline (never acknowledged, so nothing is lost). */
  requestsCutOff: number;
}

export async function drain(service: Service, listener: Pick<Listener, "whenNoRequests" | "inFlight">, timeoutMs: number): Promise<DrainResult> {
  const { state, uploader, queue } = service;
  state.draining = true;
  uploader.flush();
  const done = listener.whenNoRequests().then(() => uploader.close());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const outcome = await Promise.race([done.then(() => "done" as const), deadline]);
  clearTimeout(timer);
  const unwritten = queue.length + uploader.inFlightRecords;
  // A request still trickling in at the deadline was never acknowledged: cutting it off loses nothing.
  return { ok: outcome === "done" || unwritten === 0, unwritten, requestsCutOff: listener.inFlight };
}
