// Shutdown, start to end: the ordered drain on SIGTERM/SIGINT, what the process logs after it and
// the status it exits with. The drain refuses new posts (and fails /ready), lets requests in
// flight finish, and writes every buffered payload, partial batches included, within
// SHUTDOWN_TIMEOUT_MS. Past the deadline nothing acknowledged is dropped: the buffer keeps what
// is left for the next start (memory: saved to the spool; disk: in it already). It runs on the
// main thread, whose timers keep time whatever load the HTTP thread is under.
import type { Kept } from "./buffer/buffer.ts";
import type { Logger } from "./log.ts";
import type { SharedState } from "./shared/state.ts";

/** What the drain needs of the service. */
export interface Drainable {
  state: Pick<SharedState, "draining" | "requestsInFlight" | "whenNoRequests">;
  /** Write what is buffered now, without waiting for batches or objects to fill. */
  flush(): void;
  /** No more input: resolves once everything buffered is written and every object is complete. */
  close(): Promise<void>;
  /** Acknowledged payloads not in the store yet. */
  readonly unwritten: number;
  /** At the deadline: keep what is not written for the next start. */
  keepRemaining(): Promise<Kept>;
}

export interface DrainResult {
  /** Everything acknowledged is in the store, or kept for the next start. */
  ok: boolean;
  /** Whether SHUTDOWN_TIMEOUT_MS passed before everything was written. */
  timedOut: boolean;
  /** Acknowledged payloads not in the store when the drain ended. */
  unwritten: number;
  /** What the deadline kept for the next start. */
  kept: Kept;
  /** Requests still being received at the deadline (never acknowledged, so nothing is lost). */
  requestsCutOff: number;
  error?: string;
}

export async function drain(service: Drainable, timeoutMs: number): Promise<DrainResult> {
  service.state.draining = true;
  service.flush();
  const done = service.state.whenNoRequests().then(() => service.close());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const outcome = await Promise.race([done.then(() => "done" as const), deadline]);
  clearTimeout(timer);
  const requestsCutOff = service.state.requestsInFlight;
  const unwritten = service.unwritten;
  const nothingKept = { saved: 0, segments: 0 };
  if (outcome === "done") return { ok: true, timedOut: false, unwritten, kept: nothingKept, requestsCutOff };
  try {
    return { ok: true, timedOut: true, unwritten, kept: await service.keepRemaining(), requestsCutOff };
  } catch (err) {
    return { ok: false, timedOut: true, unwritten, kept: nothingKept, requestsCutOff, error: (err as Error).message };
  }
}

export interface ShutdownDeps {
  service: Drainable & { metrics: { objectsWritten: { get(): number } } };
  /** The HTTP thread. */
  listener: { stop(): Promise<void> };
  log: Logger;
  timeoutMs: number;
  /** SPOOL_DIR, for the log line that says where kept payloads are. */
  spoolDir: string;
  exit?: (code: number) => never;
  now?: () => number;
}

/** A second SIGINT this soon after the first is the same Ctrl-C delivered twice: npm, for one, forwards the terminal's. */
export const SAME_SIGNAL_MS = 1_000;

/**
 * The process's handler for SIGTERM and SIGINT (and for a failed HTTP thread, with another
 * reason): drains once, logs the outcome, and exits 0 when nothing acknowledged is lost.
 *
 * @example
 * const stop = createShutdown({ service, listener, log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, spoolDir: config.SPOOL_DIR });
 * onSignal("SIGTERM", () => void stop("SIGTERM"));
 */
export function createShutdown(deps: ShutdownDeps): (reason: string) => Promise<void> {
  const { service, listener, log } = deps;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const now = deps.now ?? Date.now;
  let startedAt: number | null = null;
  return async (reason) => {
    if (startedAt !== null) {
      // A repeated SIGTERM often comes from a wrapper forwarding it (timeout, a process group
      // kill): keep draining. A second Ctrl-C, a moment later, is a person who wants out now.
      if (reason !== "SIGINT" || now() - startedAt < SAME_SIGNAL_MS) return log.info("already draining", { signal: reason });
      log.error("second signal: exiting without finishing the drain", { signal: reason, unwritten: service.unwritten });
      return exit(1);
    }
    startedAt = now();
    log.info("draining", { signal: reason, timeout_ms: deps.timeoutMs });
    const result = await drain(service, deps.timeoutMs);
    await listener.stop();
    const fields = { objects_written: service.metrics.objectsWritten.get(), requests_cut_off: result.requestsCutOff };
    if (!result.ok) {
      log.error("shutdown deadline passed and the unwritten payloads could not be saved to the spool", {
        ...fields,
        unwritten: result.unwritten,
        error: result.error,
      });
      return exit(1);
    }
    if (result.unwritten === 0 && result.kept.segments === 0) log.info("drained; exiting", fields);
    else {
      log.warn("shutdown deadline passed; unwritten payloads are in the spool for the next start", {
        ...fields,
        unwritten: result.unwritten,
        spool_dir: deps.spoolDir,
        ...(result.kept.segments > 0 && { spool_segments: result.kept.segments }),
      });
    }
    return exit(reason.startsWith("SIG") ? 0 : 1);
  };
}
