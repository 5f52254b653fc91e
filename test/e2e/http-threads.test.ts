// Several HTTP threads on one port (HTTP_THREADS): the kernel spreads new connections over their
// sockets, and what must be whole across them stays whole: the metrics, the token rate limit,
// a TOKENS_FILE reload, the drain's 503 DRAINING and the admin port. Every request here opens a
// connection of its own (rawRequest), so the kernel picks a thread for each.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collection } from "../support/collections.ts";
import { freePort } from "../support/haproxy.ts";
import { requestsPerThread, samples } from "../support/metrics.ts";
import { postRequest, rawRequest } from "../support/raw-http.ts";
import { startS3 } from "../support/s3.ts";
import { ServiceProcess, startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";
import { waitUntil } from "../support/wait.ts";

setDefaultTimeout(60_000);

const THREADS = 4;

const admin = (adminPort: number) => `http://127.0.0.1:${adminPort}`;
const perThread = (adminPort: number) => requestsPerThread(admin(adminPort), THREADS);
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** `n` posts of `body`, each on a new connection, `concurrency` at a time; their statuses. */
async function posts(service: ServiceProcess, n: number, body: () => string, concurrency = 8): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        statuses.push((await rawRequest(service.port, postRequest(body()))).status);
      }
    }),
  );
  return statuses;
}

async function threaded(env: Record<string, string>) {
  const adminPort = await freePort();
  const service = await startService({ HTTP_THREADS: String(THREADS), ADMIN_PORT: String(adminPort), ...env });
  return { service, adminPort };
}

describe(`${THREADS} HTTP threads on one port`, () => {
  it("spreads connections over every thread and counts each request once; one admin listener serves them all", async () => {
    await using s3 = await startS3();
    const { service, adminPort } = await threaded({ ...s3.env, BATCH_MAX_WAIT_MS: "50", OBJECT_MAX_AGE_MS: "50" });
    await using _ = service;
    const listening = service.logs.find((l) => l.msg === "listening")!;
    expect(listening).toMatchObject({ http_threads: THREADS, admin_port: adminPort });
    // Their OS thread ids, distinct, each a thread of this process that the kernel names a Worker.
    const tids = listening.http_thread_ids as number[];
    expect(new Set(tids).size).toBe(THREADS);
    for (const tid of tids) expect(readFileSync(`/proc/${service.proc.pid}/task/${tid}/comm`, "utf8").trim()).toBe("Worker");
    // New connections land on a socket the kernel picks by their ports' hash: 200 of them miss a
    // thread with a chance of 4 × (3/4)^200, about 10^-25.
    let n = 0;
    const statuses = await posts(service, 200, () => collection([`p-${n++}`]));
    expect(statuses.filter((s) => s === 200).length).toBe(200);
    const threads = await perThread(adminPort);
    expect(threads.every((count) => count > 0)).toBe(true);
    const byStatus = await samples(admin(adminPort), "s3_ingest_http_requests_total", "status");
    expect(sum(threads)).toBe(sum(byStatus.values())); // counted once, whichever thread answered
    expect(byStatus.get("200")).toBe(200);
    expect((await samples(admin(adminPort), "s3_ingest_payloads_accepted_total", "")).get("")).toBe(200);
    // The status page's totals are the same counters: 200 posts, each once.
    const status = (await (await fetch(`http://127.0.0.1:${adminPort}/status.json`)).json()) as {
      totals: { requests: Record<string, number>; payloads_accepted: number };
    };
    expect(status.totals.requests["2xx"]).toBe(200);
    expect(status.totals.payloads_accepted).toBe(200);
    await waitUntil(async () => (await s3.lines()).length === 200, "every payload in the bucket");
    expect(new Set((await s3.lines()).map((l) => JSON.parse(l).id)).size).toBe(200);
  });

  it("holds TOKEN_RATE_LIMIT_PER_SEC per token over every thread, not per thread", async () => {
    const perSecond = 5;
    const { service, adminPort } = await threaded({ TOKEN_RATE_LIMIT_PER_SEC: String(perSecond) });
    await using _ = service;
    const started = performance.now();
    const statuses = await posts(service, 80, () => collection(["x"], "one-token"));
    const secs = (performance.now() - started) / 1000;
    const allowed = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect((await perThread(adminPort)).filter((c) => c > 0).length).toBeGreaterThan(1); // several threads took part
    // One bucket: its burst, plus what refills while the posts went on. Per thread it would be 4 times that.
    expect(allowed).toBeGreaterThanOrEqual(perSecond);
    expect(allowed).toBeLessThanOrEqual(perSecond + Math.ceil(perSecond * secs) + 1);
    // Another token has a bucket of its own.
    expect((await rawRequest(service.port, postRequest(collection(["y"], "other-token")))).status).toBe(200);
  });

  it("reloads TOKENS_FILE on SIGHUP in every thread", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tokens-"));
    try {
      const file = join(dir, "tokens");
      writeFileSync(file, "first\n");
      const { service, adminPort } = await threaded({ TOKENS_FILE: file });
      await using _ = service;
      writeFileSync(file, "second\n");
      service.signal("SIGHUP");
      await waitUntil(() => service.logs.filter((l) => l.msg === "tokens reloaded").length === THREADS, "every thread to reload");
      const before = await perThread(adminPort);
      const old = await posts(service, 60, () => collection(["a"], "first"));
      const fresh = await posts(service, 60, () => collection(["b"], "second"));
      expect(old.filter((s) => s !== 401)).toEqual([]);
      expect(fresh.filter((s) => s !== 200)).toEqual([]);
      const after = await perThread(adminPort);
      expect(after.every((count, t) => count > before[t]!)).toBe(true); // every thread answered some
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers 503 DRAINING on every thread while it drains, then exits 0 with what it acknowledged", async () => {
    await using s3 = await startS3();
    const { service, adminPort } = await threaded({ ...s3.env, SHUTDOWN_TIMEOUT_MS: "20000", RETRY_BASE_MS: "200", RETRY_MAX_MS: "200" });
    await using _ = service;
    await s3.stop(); // the drain waits for the store: long enough to look at it
    expect((await rawRequest(service.port, postRequest(collection(["held"])))).status).toBe(200);
    service.signal("SIGTERM");
    await waitUntil(() => service.logs.some((l) => l.msg === "draining"), "the drain to start");
    const before = await perThread(adminPort);
    const refused = await posts(service, 60, () => collection(["refused"]));
    expect(refused.filter((s) => s !== 503)).toEqual([]);
    const after = await perThread(adminPort);
    expect(after.every((count, t) => count > before[t]!)).toBe(true);
    const byStatus = await samples(admin(adminPort), "s3_ingest_http_requests_total", "status");
    expect(byStatus.get("503")).toBe(60);
    await s3.start();
    expect(await service.exited()).toBe(0);
    expect((await s3.lines()).map((l) => JSON.parse(l).id)).toEqual(["held"]);
  });
});

// The first HTTP thread answers as soon as it listens, while the others are still starting (a
// tenth of a second for one more here, more for several), and only then does the process log
// "listening". A SIGTERM in that time must drain what the first thread acknowledged, not end the
// process. Eight threads keep the window far wider than a post and a signal take, and the
// process's own log line tells that the signal did come inside it.
for (const target of targets()) {
  const on = onTarget(target);
  describe.skipIf(on.skip)(`a signal while the HTTP threads start ${on.label}`, () => {
    it("drains what the first thread acknowledged, then exits 0", async () => {
      await using s3 = await startS3();
      const port = await freePort();
      await using service = new ServiceProcess(await target.command(), { ...target.env, ...s3.env, HTTP_THREADS: "8", PORT: String(port) });
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, "the first thread to answer", { intervalMs: 2 });
      const posted = await fetch(`${url}/v1/collect`, {
        method: "POST",
        body: collection(["early"]),
        headers: { "content-type": "application/json" },
      });
      expect(posted.status).toBe(200);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      const messages = service.logs.map((l) => l.msg);
      // The signal did come while threads were starting: the process says so, before "listening".
      const early = messages.indexOf("signal while starting; draining once every HTTP thread listens");
      expect(early).toBeGreaterThanOrEqual(0);
      expect(early).toBeLessThan(messages.indexOf("listening"));
      expect(messages.indexOf("listening")).toBeLessThan(messages.indexOf("drained; exiting"));
      expect((await s3.lines()).map((l) => JSON.parse(l).id)).toEqual(["early"]);
    });
  });
}
