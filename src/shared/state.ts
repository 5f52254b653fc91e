// The control words the HTTP threads and the upload side share besides the queue: whether the
// service is draining, the ingest requests in flight (over every HTTP thread), what the upload
// side is doing, and each HTTP thread's heartbeat. Times are wall-clock milliseconds (Date.now),
// the same on every thread.
import { Words } from "./words.ts";

const DRAINING = 0;
const HTTP_IN_FLIGHT = 1;
const TOKENS_GENERATION = 2;
const UPLOAD_PROGRESS_AT = 3;
const UPLOAD_IN_FLIGHT = 4;
const PROCESS_STARTED_AT = 5;
const HTTP_TICK_AT = 6; // one per HTTP thread, from here on
/** The most HTTP threads (HTTP_THREADS's maximum). */
export const MAX_HTTP_THREADS = 64;
const SLOTS = HTTP_TICK_AT + MAX_HTTP_THREADS;

/** Period of the HTTP thread's housekeeping timer; its lateness is that thread's event-loop delay. */
export const HTTP_TICK_MS = 50;

export class SharedState {
  private readonly words: Words;

  constructor(memory?: SharedArrayBuffer) {
    this.words = new Words(SLOTS, memory);
    if (!memory) {
      this.words.set(UPLOAD_PROGRESS_AT, Date.now());
      // The main thread's uptime is the process's (a Worker's starts with the Worker).
      this.words.set(PROCESS_STARTED_AT, Math.round(Date.now() - process.uptime() * 1000));
    }
  }

  /** When the process started: process_start_time_seconds. */
  get processStartedAt(): number {
    return this.words.get(PROCESS_STARTED_AT);
  }

  get memory(): SharedArrayBuffer {
    return this.words.memory;
  }

  /** Set by the main thread on SIGTERM/SIGINT; the HTTP thread then refuses posts. */
  get draining(): boolean {
    return this.words.get(DRAINING) === 1;
  }
  set draining(on: boolean) {
    this.words.set(DRAINING, on ? 1 : 0);
  }

  /**
   * An ingest request counts itself before it checks `draining`, and stops counting once
   * answered: so once the drain has seen this reach 0, no request can push into the queue.
   */
  enterRequest(): void {
    this.words.add(HTTP_IN_FLIGHT, 1);
  }
  leaveRequest(): void {
    this.words.add(HTTP_IN_FLIGHT, -1);
  }
  get requestsInFlight(): number {
    return this.words.get(HTTP_IN_FLIGHT);
  }

  /** Resolves once no ingest request is in flight; polls with the caller's timers. */
  async whenNoRequests(pollMs = 5): Promise<void> {
    while (this.requestsInFlight > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }

  /** SIGHUP on the main thread bumps this; the HTTP thread re-reads TOKENS_FILE when it changes. */
  get tokensGeneration(): number {
    return this.words.get(TOKENS_GENERATION);
  }
  reloadTokens(): void {
    this.words.add(TOKENS_GENERATION, 1);
  }

  /** When HTTP thread `thread`'s housekeeping timer last ran: how far its event loop lags timers. */
  httpTickAt(thread = 0): number {
    return this.words.get(HTTP_TICK_AT + thread);
  }
  httpTicked(thread: number, ms: number): void {
    this.words.set(HTTP_TICK_AT + thread, ms);
  }

  /** How late the slowest HTTP thread's timers run now: the time since its timer last ran, past its period. */
  httpLoopDelayMs(now: number, tickMs = HTTP_TICK_MS): number {
    let worst = 0;
    for (let thread = 0; thread < MAX_HTTP_THREADS; thread++) {
      const at = this.httpTickAt(thread);
      if (at !== 0) worst = Math.max(worst, now - at - tickMs);
    }
    return worst;
  }

  /** When the upload side last made progress: an object written, or nothing left to do. */
  get uploadProgressAt(): number {
    return this.words.get(UPLOAD_PROGRESS_AT);
  }
  set uploadProgressAt(ms: number) {
    this.words.set(UPLOAD_PROGRESS_AT, ms);
  }

  /** Payloads taken from the queue whose object is not written yet. */
  get uploadInFlight(): number {
    return this.words.get(UPLOAD_IN_FLIGHT);
  }
  addUploadInFlight(payloads: number): void {
    this.words.add(UPLOAD_IN_FLIGHT, payloads);
  }
}
