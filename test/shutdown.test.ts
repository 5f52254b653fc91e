import { describe, expect, it } from "bun:test";
import type { Kept } from "../src/buffer/buffer.ts";
import { createLogger } from "../src/log.ts";
import { SharedState } from "../src/shared/state.ts";
import { createShutdown, drain, SAME_SIGNAL_MS } from "../src/shutdown.ts";
import { waitUntil } from "./support/wait.ts";

/** Shared state that counts how often the requests in flight are read: the drain's polls. */
class WatchedState extends SharedState {
  inFlightReads = 0;
  override get requestsInFlight(): number {
    this.inFlightReads++;
    return super.requestsInFlight;
  }
}

/** A service whose buffer writes what it holds when told to close, unless the store hangs. */
function fakeService({ storeHangs = false, keepFails = false } = {}) {
  const state = new WatchedState();
  let unwritten = 5;
  const calls: string[] = [];
  return {
    calls,
    state,
    /** Requests in flight when close() was called. */
    inFlightAtClose: -1,
    metrics: { objectsWritten: { get: () => 7 } },
    flush: () => void calls.push("flush"),
    get unwritten() {
      return unwritten;
    },
    async keepRemaining(): Promise<Kept> {
      calls.push("keepRemaining");
      if (keepFails) throw new Error("ENOSPC");
      return { saved: unwritten, segments: 1 };
    },
    async close() {
      calls.push("close");
      this.inFlightAtClose = state.requestsInFlight;
      if (storeHangs) return new Promise<void>(() => {});
      unwritten = 0;
    },
  };
}

function harness(service: ReturnType<typeof fakeService>, timeoutMs = 50) {
  const logs: Record<string, unknown>[] = [];
  const exits: number[] = [];
  let now = 0;
  let stopped = 0;
  const shutdown = createShutdown({
    service,
    listener: { stop: async () => void stopped++ },
    log: createLogger("debug", (l) => logs.push(JSON.parse(l))),
    timeoutMs,
    spoolDir: "/var/spool/s3-ingest",
    exit: ((code: number) => void exits.push(code)) as (code: number) => never,
    now: () => now,
  });
  return { shutdown, logs, exits, stopped: () => stopped, advance: (ms: number) => (now += ms) };
}

describe("drain", () => {
  it("refuses new posts, waits for requests in flight, then writes everything buffered", async () => {
    const service = fakeService();
    service.state.enterRequest();
    const draining = drain(service, 60_000);
    expect(service.state.draining).toBe(true);
    expect(service.calls).toEqual(["flush"]);
    // The drain has looked at the request in flight and looked again: it is waiting for it.
    const reads = service.state.inFlightReads;
    await waitUntil(() => service.state.inFlightReads >= reads + 2, "the drain to poll the requests in flight");
    expect(service.calls).toEqual(["flush"]); // a request still in flight may yet push
    service.state.leaveRequest();
    expect(await draining).toEqual({ ok: true, timedOut: false, unwritten: 0, kept: { saved: 0, segments: 0 }, requestsCutOff: 0 });
    expect(service.calls).toEqual(["flush", "close"]);
    expect(service.inFlightAtClose).toBe(0);
  });

  it("keeps what is left for the next start when the deadline passes", async () => {
    const service = fakeService({ storeHangs: true });
    expect(await drain(service, 30)).toEqual({ ok: true, timedOut: true, unwritten: 5, kept: { saved: 5, segments: 1 }, requestsCutOff: 0 });
    expect(service.calls).toEqual(["flush", "close", "keepRemaining"]);
  });

  it("says so when what is left cannot be kept", async () => {
    const result = await drain(fakeService({ storeHangs: true, keepFails: true }), 30);
    expect(result).toMatchObject({ ok: false, timedOut: true, unwritten: 5, error: "ENOSPC" });
  });
});

describe("createShutdown", () => {
  it("drains once, stops the HTTP thread, logs the outcome and exits 0", async () => {
    const h = harness(fakeService());
    await h.shutdown("SIGTERM");
    expect(h.exits).toEqual([0]);
    expect(h.stopped()).toBe(1);
    expect(h.logs.map((l) => l.msg)).toEqual(["draining", "drained; exiting"]);
    expect(h.logs[1]).toMatchObject({ objects_written: 7, requests_cut_off: 0 });
  });

  it("exits 0 past the deadline once what is left is in the spool, and says where", async () => {
    const h = harness(fakeService({ storeHangs: true }));
    await h.shutdown("SIGTERM");
    expect(h.exits).toEqual([0]);
    expect(h.logs.at(-1)).toMatchObject({ level: "warn", unwritten: 5, spool_dir: "/var/spool/s3-ingest", spool_segments: 1 });
  });

  it("exits 1 when what is left cannot be saved", async () => {
    const h = harness(fakeService({ storeHangs: true, keepFails: true }));
    await h.shutdown("SIGTERM");
    expect(h.exits).toEqual([1]);
    expect(h.logs.at(-1)).toMatchObject({ level: "error", error: "ENOSPC" });
  });

  it("exits 1 after draining when the reason is not a signal (the HTTP thread died)", async () => {
    const h = harness(fakeService());
    await h.shutdown("http_thread_failed");
    expect(h.exits).toEqual([1]);
  });

  it("ignores a repeated SIGTERM, and a SIGINT within a second of the first; a later one exits at once", async () => {
    const h = harness(fakeService({ storeHangs: true }), 60_000);
    void h.shutdown("SIGINT");
    await h.shutdown("SIGTERM");
    h.advance(SAME_SIGNAL_MS - 1);
    await h.shutdown("SIGINT"); // npm forwarding the terminal's Ctrl-C
    expect(h.exits).toEqual([]);
    expect(h.logs.filter((l) => l.msg === "already draining")).toHaveLength(2);
    h.advance(1);
    await h.shutdown("SIGINT"); // a person, a moment later
    expect(h.exits).toEqual([1]);
    expect(h.logs.at(-1)).toMatchObject({ level: "error", msg: "second signal: exiting without finishing the drain", unwritten: 5 });
  });
});
