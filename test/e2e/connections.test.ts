// Thousands of busy client connections, as many endpoints behind an NLB give: the upload side
// must keep moving while they keep the HTTP thread's event loop full. Before the HTTP thread
// and the upload side had an event loop each, 2,000 connections starved the upload loops: the
// queue filled in a second and 86% of requests got 503 QUEUE_FULL (issue 9).
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { stalledRequest } from "../../bench/probes.ts";
import { startWrk } from "../../bench/wrk.ts";
import { startS3 } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";
import { waitUntil } from "../support/wait.ts";

setDefaultTimeout(120_000);

const CONNECTIONS = 2_000;
const LOAD_SECS = 8;
const PAYLOADS_PER_REQUEST = 10; // bench/collect.lua's collections
const haveWrk = Bun.which("wrk") !== null;
/** Said in the title of a test that wrk is missing for. */
const noWrk = haveWrk ? "" : " (skipped: wrk is not installed; .ci/run installs it)";

/** One counter or gauge from /metrics (unlabelled). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(" ")[1]);
}

for (const target of targets()) {
  const on = onTarget(target);
  describe.skipIf(on.skip)(`${CONNECTIONS.toLocaleString("en-US")} busy connections ${on.label}`, () => {
    // On Deno this load fills the queue: one run answered 4,834 of 144,421 requests 503 QUEUE_FULL
    // (the pushback working, but not what this test asserts). The drain below holds on Deno too.
    const underLoad = onTarget(target, { deno: "on Deno the queue fills under this load and some requests get 503 QUEUE_FULL" });
    // wrk is the load: a native tool, so the test's own CPU does not limit it. .ci/run installs it.
    it.skipIf(!haveWrk || underLoad.skip)(
      `keeps writing objects during the load, answers every request 200 and a stalled one 408 in time, and lands every acknowledged payload${noWrk || (underLoad.skip && !on.skip ? ` (skipped: ${underLoad.why})` : "")}`,
      async () => {
        await using s3 = await startS3();
        await using service = await startService(
          { ...s3.env, BATCH_MAX_WAIT_MS: "500", OBJECT_MAX_AGE_MS: "500", REQUEST_TIMEOUT_MS: "2000" },
          target,
        );
        const load = startWrk({ port: service.port, connections: CONNECTIONS, threads: 1, durationSecs: LOAD_SECS });

        // The middle of the load: every connection is open and busy.
        await Bun.sleep(2_000);
        const writtenBefore = await metric(service.url, "s3_ingest_payloads_written_total");
        const acceptedBefore = await metric(service.url, "s3_ingest_payloads_accepted_total");
        // REQUEST_TIMEOUT_MS holds however busy the sockets are: a body that stalls gets its 408.
        const stalled = stalledRequest(service.port);
        await Bun.sleep(4_000);
        const written = (await metric(service.url, "s3_ingest_payloads_written_total")) - writtenBefore;
        const accepted = (await metric(service.url, "s3_ingest_payloads_accepted_total")) - acceptedBefore;
        const uploadStalled = await metric(service.url, "s3_ingest_upload_stalled_seconds");
        const loopDelay = await metric(service.url, "s3_ingest_http_event_loop_delay_seconds");

        const result = await load.result;
        const acknowledged = (result.requests - result.non2xx) * PAYLOADS_PER_REQUEST;
        console.log(
          `${target.name}: ${result.requests} requests at ${Math.round(result.rps)}/s, ${result.non2xx} non-2xx; ` +
            `${written} payloads written of ${accepted} accepted in the 4 s mid-load; upload stalled ${uploadStalled} s; HTTP loop delay ${loopDelay} s; ` +
            `the stalled request got ${(await stalled).status} after ${((await stalled).ms / 1000).toFixed(2)} s`,
        );
        // The upload loops kept their pace: objects (completed every OBJECT_MAX_AGE_MS) took what came
        // in all through the load. The old design wrote the queue's worth once, then almost nothing.
        expect(written).toBeGreaterThanOrEqual(accepted / 2);
        expect(uploadStalled).toBeLessThan(3);
        expect((await stalled).status).toBe(408);
        expect((await stalled).ms).toBeLessThan(3_000);
        expect(result.non2xx).toBe(0);
        expect(result.requests).toBeGreaterThan(CONNECTIONS);

        // Nothing acknowledged is lost: every payload answered 200 is in the bucket.
        await waitUntil(
          async () => (await metric(service.url, "s3_ingest_payloads_written_total")) >= acknowledged,
          "every acknowledged payload to be written",
          {
            timeoutMs: 30_000,
            intervalMs: 250,
          },
        );
        service.signal("SIGTERM");
        expect(await service.exited()).toBe(0);
        expect((await s3.lines()).length).toBeGreaterThanOrEqual(acknowledged);
      },
    );

    // SIGTERM reaches the main thread, whose loop holds no client sockets: the drain starts at
    // once, however busy the HTTP thread is.
    it.skipIf(!haveWrk)(
      `starts draining within a second of SIGTERM in the middle of the load, exits 0 and lands every acknowledged payload${noWrk}`,
      async () => {
        await using s3 = await startS3();
        await using service = await startService(s3.env, target);
        const load = startWrk({ port: service.port, connections: CONNECTIONS, threads: 1, durationSecs: 6 });
        await Bun.sleep(3_000);
        const sent = Date.now();
        service.signal("SIGTERM");
        await waitUntil(() => service.logs.some((l) => l.msg === "draining"), "the drain to start", { timeoutMs: 10_000, intervalMs: 10 });
        const draining = service.logs.find((l) => l.msg === "draining")!;
        expect(Date.parse(draining.time as string) - sent).toBeLessThan(1_000);
        expect(await service.exited()).toBe(0);
        const result = await load.result; // past the exit, wrk counts refused connections as socket errors
        const acknowledged = (result.requests - result.non2xx) * PAYLOADS_PER_REQUEST;
        expect(acknowledged).toBeGreaterThan(0);
        expect((await s3.lines()).length).toBeGreaterThanOrEqual(acknowledged);
      },
    );
  });
}
