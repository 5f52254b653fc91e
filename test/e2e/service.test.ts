// The service as a spawned process, against s3rver: what a client gets acknowledged lands in
// the bucket, through SIGTERM and through a store outage.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdDecompressSync } from "node:zlib";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import pkg from "../../package.json" with { type: "json" };
import { collection, idOf, ids } from "../support/collections.ts";
import { collections, expectExactly, postAll, postUntilStatus } from "../support/load.ts";
import { startS3 } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";
import { oneThread, onTarget, targets } from "../support/targets.ts";
import { waitUntil } from "../support/wait.ts";

// Real processes and a real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);

for (const target of [...targets(), oneThread()]) {
  // Deno, and the source with one HTTP thread, run the main cases: posts land, every error
  // status, the SIGTERM drain. The others run with two HTTP threads.
  const on = onTarget(target);
  const threads = Number(target.env.HTTP_THREADS);
  const main = target.skip
    ? on
    : threads === 1
      ? onTarget(target, { source: "HTTP_THREADS=1 runs the main cases only" })
      : onTarget(target, { deno: "Deno runs the main cases only" });
  const full = (name: string, fn: () => Promise<void>) => it.skipIf(main.skip)(main.skip && !on.skip ? `${name} (skipped: ${main.why})` : name, fn);
  const start = (env: Record<string, string>) => startService(env, target);

  describe.skipIf(on.skip)(`s3-ingest as a process ${on.label}`, () => {
    it("lands posted payloads in the bucket as zstd NDJSON, numbers with their exact digits", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, BATCH_MAX_WAIT_MS: "50", OBJECT_MAX_AGE_MS: "50" });
      const res = await service.post('{"version":"1","token":"t","data":[{"id": 12345678901234567890},{"v":"é\\n","f":1.10}]}');
      expect(await res.json()).toEqual({ accepted: 2 });
      await waitUntil(async () => (await s3.lines()).length === 2, "2 payloads in the bucket");
      const [obj] = await s3.objects();
      expect(obj!.key).toMatch(/^events\/dt=\d{4}-\d\d-\d\d\/hr=\d\d\/\d{13}-[0-9a-f]{16}-0\.ndjson\.zst$/);
      expect(obj!.contentEncoding).toBe("zstd");
      expect(obj!.lines).toEqual(['{"id": 12345678901234567890}', '{"v":"é\\n","f":1.10}']);
    });

    it("drains 1,000 collections of 10 payloads on SIGTERM and exits 0 with all 10,000 in the bucket", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env });
      const sent = collections("burst", 1_000, 10);
      const { acknowledged, statuses } = await postAll(service, sent);
      expect(statuses).toEqual({ 200: 1_000 });
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      const lines = await s3.lines();
      expectExactly(lines.map(idOf), acknowledged);
      const sentById = new Map(sent.flatMap((c) => (JSON.parse(c.body).data as { id: string }[]).map((p) => [p.id, p])));
      for (const line of lines) expect(JSON.parse(line)).toEqual(sentById.get(idOf(line)));
      expect(service.logs.some((l) => l.msg === "drained; exiting")).toBe(true);
    });

    full("lands every acknowledged payload when the store goes down during posts and comes back", async () => {
      await using s3 = await startS3();
      await using service = await start({
        ...s3.env,
        BATCH_MAX_WAIT_MS: "20",
        OBJECT_MAX_AGE_MS: "20",
        BATCH_MAX_PAYLOADS: "200",
        RETRY_BASE_MS: "20",
        RETRY_MAX_MS: "200",
        S3_REQUEST_TIMEOUT_MS: "2000",
        STORE_FAILING_AFTER_MS: "100",
        MAX_QUEUE_PAYLOADS: "1000",
      });
      const before = await postAll(service, collections("before", 100, 10));
      await s3.stop();
      // Posts until the buffer is full and refuses one: the queue and every object the upload
      // loops hold. How many it takes depends on the machine's speed; the bound does not.
      const during = await postUntilStatus(service, "during", 10, 503);
      await waitUntil(async () => (await fetch(`${service.url}/ready`)).status === 503, "/ready to report the failing store");
      await s3.start();
      await waitUntil(async () => (await fetch(`${service.url}/ready`)).status === 200, "/ready to recover");
      const after = await postAll(service, collections("after", 100, 10));
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      expect(during.statuses[503]).toBeGreaterThan(0); // the full buffer pushed back on clients
      expect(during.acknowledged.length).toBeGreaterThan(0); // and took what it had room for
      const acknowledged = [...before.acknowledged, ...during.acknowledged, ...after.acknowledged];
      expectExactly((await s3.lines()).map(idOf), acknowledged);
      expect(service.logs.some((l) => l.msg === "upload failed; retrying")).toBe(true);
    });

    full("saves unwritten payloads to the spool when the drain deadline passes with the store down, and exits 0", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, SHUTDOWN_TIMEOUT_MS: "300", RETRY_MAX_MS: "50" });
      await s3.stop();
      expect((await service.post(collection(ids("late", 7)))).status).toBe(200);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      const line = service.logs.find((l) => l.msg.startsWith("shutdown deadline passed"));
      expect(line).toMatchObject({ level: "warn", unwritten: 7 });
      expect(readdirSync(join(service.cwd, "spool")).filter((f) => f.endsWith(".seg"))).toHaveLength(1);
    });

    full("in disk mode, leaves what the deadline did not let it upload in the spool, and exits 0", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, DURABILITY: "disk", SHUTDOWN_TIMEOUT_MS: "300", RETRY_MAX_MS: "50" });
      await s3.stop();
      expect((await service.post(collection(ids("kept", 4)))).status).toBe(200);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      const line = service.logs.find((l) => l.msg.startsWith("shutdown deadline passed"));
      expect(line).toMatchObject({ level: "warn" });
      expect(line?.spool_segments).toBeGreaterThan(0);
      expect(readdirSync(join(service.cwd, "spool")).some((f) => f.endsWith(".seg"))).toBe(true);
    });

    full("exits 0 at the deadline when only a request that was never acknowledged is still arriving", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, SHUTDOWN_TIMEOUT_MS: "300" });
      const socket = await Bun.connect({ hostname: "127.0.0.1", port: service.port, socket: { data() {} } });
      socket.write('POST /v1/collect HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"version":');
      await waitUntil(
        async () => (await (await fetch(`${service.url}/metrics`)).text()).includes('status="200"'),
        "a scrape to show the server is serving",
      );
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      socket.end();
    });

    it("serves /metrics that a Prometheus text parser reads whole, with the process's metrics and its build", async () => {
      await using s3 = await startS3();
      await using service = await start(s3.env);
      expect((await service.post('{"version":"1","token":"t","data":[{"a":1}]}')).status).toBe(200);
      // Two scrapes: the CPU counter goes up, the start time stays, the loop-lag histogram fills.
      const scrape = async () => {
        const families = parsePrometheusTextFormat(await (await fetch(`${service.url}/metrics`)).text());
        return Object.fromEntries(families.map((f) => [f.name, f]));
      };
      const first = await scrape();
      await waitUntil(async () => Number((await scrape()).s3_ingest_http_event_loop_lag_seconds?.metrics[0]?.count) > 1, "housekeeping ticks");
      const second = await scrape();
      const value = (f: (typeof first)[string] | undefined) => Number(f!.metrics[0]!.value);
      expect(first.process_resident_memory_bytes!.type).toBe("GAUGE");
      expect(value(first.process_resident_memory_bytes)).toBeGreaterThan(10 * 1024 * 1024);
      expect(second.process_cpu_seconds_total!.type).toBe("COUNTER");
      expect(value(second.process_cpu_seconds_total)).toBeGreaterThan(0);
      expect(value(second.process_cpu_seconds_total)).toBeGreaterThanOrEqual(value(first.process_cpu_seconds_total));
      const started = value(first.process_start_time_seconds);
      expect(started).toBeLessThanOrEqual(Date.now() / 1000);
      expect(started).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(value(second.process_start_time_seconds)).toBe(started);
      expect(first.s3_ingest_build_info!.metrics[0]).toEqual({
        labels: { version: pkg.version, runtime: target.name === "deno" ? "deno" : "bun" },
        value: "1",
      });
      expect(second.s3_ingest_http_requests_total!.metrics).toContainEqual({ labels: { status: "200" }, value: expect.any(String) });
    });

    it("serves its OpenAPI document, with the limits it runs with", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, MAX_PAYLOADS_PER_REQUEST: "9" });
      const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, { post?: { description: string; responses: Record<string, unknown> } }>;
      };
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.paths["/v1/collect"]!.post!.description).toContain("at most 9 payloads");
      expect(Object.keys(doc.paths["/v1/collect"]!.post!.responses).sort()).toEqual([
        "200",
        "400",
        "401",
        "404",
        "405",
        "408",
        "413",
        "415",
        "422",
        "429",
        "500",
        "503",
      ]);
    });

    it("answers DRAINING and fails /ready while it drains", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, SHUTDOWN_TIMEOUT_MS: "5000", RETRY_BASE_MS: "1000", RETRY_MAX_MS: "1000" });
      await s3.stop(); // keep the drain going long enough to look at it
      expect((await service.post(collection(["held"]))).status).toBe(200);
      service.signal("SIGTERM");
      await waitUntil(() => service.logs.some((l) => l.msg === "draining"), "the drain to start");
      const res = await service.post(collection(["refused"]));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toBe("DRAINING");
      expect((await fetch(`${service.url}/ready`)).status).toBe(503);
      await s3.start();
      expect(await service.exited()).toBe(0);
      expect((await s3.lines()).map(idOf)).toEqual(["held"]);
    });

    full("writes one plain JSON object per payload in seed mode", async () => {
      await using s3 = await startS3();
      await using service = await start({ ...s3.env, BATCH_MAX_PAYLOADS: "1", COMPRESSION: "none", OBJECT_MAX_AGE_MS: "0", MAX_WORKERS: "16" });
      expect((await service.post(collection(ids("seed", 5)))).status).toBe(200);
      await waitUntil(async () => (await s3.objects()).length === 5, "5 objects");
      for (const obj of await s3.objects()) {
        expect(obj.key).toEndWith(".json");
        expect(obj.contentType).toStartWith("application/json");
        expect(obj.lines).toHaveLength(1);
      }
    });

    full("stores to ./data when no bucket is configured", async () => {
      await using service = await start({ BATCH_MAX_WAIT_MS: "20", OBJECT_MAX_AGE_MS: "20" });
      expect((await service.post(collection(ids("local", 3)))).status).toBe(200);
      const dir = join(service.cwd, "data", "events");
      const files = () => readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ndjson.zst"));
      await waitUntil(() => {
        try {
          return files().length > 0;
        } catch {
          return false;
        }
      }, "an object file in ./data");
      const text = new TextDecoder().decode(zstdDecompressSync(readFileSync(join(dir, files()[0]!))));
      expect(text.trim().split("\n").map(idOf)).toEqual(ids("local", 3));
      service.signal("SIGINT");
      expect(await service.exited()).toBe(0);
    });

    it("answers every error status over a real socket with a JSON error body", async () => {
      await using s3 = await startS3();
      // MAX_QUEUE is MAX_QUEUE_PAYLOADS's old name: still read, with a warning (the 503 below depends on it).
      // Each HTTP thread's ring holds 5 payloads: one post of 3 fits, a second does not, and the
      // batch threshold (the whole queue) is never met. A full ring holds a request 300 ms, then 503.
      await using service = await start({
        ...s3.env,
        MAX_BODY_BYTES: "2048",
        MAX_QUEUE: String(5 * threads),
        QUEUE_FULL_WAIT_MS: "300",
        BATCH_MAX_WAIT_MS: "60000",
        OBJECT_MAX_AGE_MS: "60000",
      });
      expect(service.logs.find((l) => l.level === "warn" && l.variable === "MAX_QUEUE")?.use).toBe("MAX_QUEUE_PAYLOADS");
      const url = `${service.url}/v1/collect`;
      const json = { "content-type": "application/json" };
      const cases: [string, () => Promise<Response>, number, string][] = [
        ["malformed JSON", () => service.post("{nope"), 400, "INVALID_JSON"],
        ["bad gzip", () => service.post("{}", { "content-encoding": "gzip" }), 400, "INVALID_GZIP"],
        ["unknown path", () => fetch(`${service.url}/nowhere`), 404, "NOT_FOUND"],
        ["GET on the path", () => fetch(url), 405, "METHOD_NOT_ALLOWED"],
        ["large Content-Length", () => service.post(collection(ids("big", 40))), 413, "PAYLOAD_TOO_LARGE"],
        [
          "large chunked body",
          () => fetch(url, { method: "POST", headers: json, body: new Blob([collection(ids("big", 40))]).stream() }),
          413,
          "PAYLOAD_TOO_LARGE",
        ],
        ["gzip bomb", () => service.post(gzipSync(`{"data":"${" ".repeat(1_000_000)}"}`), { "content-encoding": "gzip" }), 413, "PAYLOAD_TOO_LARGE"],
        ["text/plain", () => service.post(collection(["x"]), { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
        ["brotli", () => service.post(collection(["x"]), { "content-encoding": "br" }), 415, "UNSUPPORTED_ENCODING"],
        ["schema", () => service.post(JSON.stringify({ version: "1", token: "secret-token", data: [1] })), 422, "VALIDATION"],
      ];
      for (const [what, send, status, code] of cases) {
        const res = await send();
        const body = await res.text();
        expect({ what, status: res.status, type: res.headers.get("content-type"), body: JSON.parse(body).error }).toEqual({
          what,
          status,
          type: "application/json",
          body: code,
        });
        expect(body).not.toContain("secret-token");
      }
      expect((await fetch(url)).headers.get("allow")).toBe("POST");
      // Nothing drains: each post lands on a ring, until one lands on a ring already holding 3 (within threads + 1 posts).
      const statuses: number[] = [];
      let full: Response;
      do {
        full = await service.post(collection(ids(`q${statuses.length}`, 3)));
        statuses.push(full.status);
      } while (full.status === 200 && statuses.length <= threads);
      expect(statuses.slice(0, -1)).toEqual(statuses.slice(0, -1).map(() => 200));
      expect(statuses.length).toBeGreaterThan(1);
      expect(full.status).toBe(503);
      expect(full.headers.get("retry-after")).toBe("1");
      expect(((await full.json()) as { error: string }).error).toBe("QUEUE_FULL");
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
    });
  });
}
