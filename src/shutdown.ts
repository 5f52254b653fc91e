// The ordered drain on SIGTERM/SIGINT: refuse new posts (and fail /ready), let requests in flight
// finish, write every queued payload including partial batches, all within SHUTDOWN_TIMEOUT_MS.
// Past the deadline nothing acknowledged is dropped: disk mode's payloads are in the spool
// already, and memory mode saves what is left there for the next start to upload. It runs on the
// main thread, whose timers keep time whatever load the HTTP thread is under.
import type { Service } from "./service.ts";

export interface DrainResult {
  /** Everything acknowledged is in the store, or safe in the spool for the next start. */
  ok: boolean;
  /** Acknowledged payloads not in the store when the drain ended. */
  unwritten: number;
  /** Requests still being received at the deadline (never acknowledged, so nothing is lost). */
  requestsCutOff: number;
  /** Whether SHUTDOWN_TIMEOUT_MS passed before everything was written. */
  timedOut: boolean;
  error?: string;
}

export async function drain(service: Service, timeoutMs: number): Promise<DrainResult> {
  service.state.draining = true;
  service.flush();
  const done = service.state.whenNoRequests().then(() => service.close());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const outcome = await Promise.race([done.then(() => "done" as const), deadline]);
  clearTimeout(timer);
  const requestsCutOff = service.state.requestsInFlight;
  const unwritten = service.unwritten();
  const timedOut = outcome === "timeout";
  if (!timedOut || unwritten === 0 || service.config.DURABILITY === "disk") return { ok: true, unwritten, requestsCutOff, timedOut };
  try {
    await service.saveUnwritten();
    return { ok: true, unwritten, requestsCutOff, timedOut };
  } catch (err) {
    return { ok: false, unwritten, requestsCutOff, timedOut, error: (err as Error).message };
  }
}
