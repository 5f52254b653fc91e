// Hostile and broken input over real sockets: each bad request gets a clear 4xx (or a closed
// connection), and the service still answers the next good request.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { gzipSync } from "node:zlib";
import { collection } from "../support/collections.ts";
import { HaProxy, haveHaproxy } from "../support/haproxy.ts";
import { postRequest, rawRequest } from "../support/raw-http.ts";
import { type ServiceProcess, startService } from "../support/service-process.ts";

// Real processes and sockets: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);

const enc = (s: string) => new TextEncoder().encode(s);
const envelope = (data: string) => `{"version":"1","token":"t","data":${data}}`;
const concat = (...parts: (string | Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((p) => [...(typeof p === "string" ? enc(p) : p)]));

let service: ServiceProcess;
beforeAll(async () => {
  service = await startService({
    MAX_BODY_BYTES: "1048576",
    MAX_PAYLOAD_BYTES: "262144",
    REQUEST_TIMEOUT_MS: "1000",
    IDLE_TIMEOUT_SECS: "2",
    BATCH_MAX_WAIT_MS: "50",
    OBJECT_MAX_AGE_MS: "50",
  });
});
afterAll(async () => {
  await service[Symbol.asyncDispose]();
});

async function expectStillServing() {
  const res = await service.post(collection(["still-ok"]));
  expect(res.status).toBe(200);
}

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

describe("bad bytes over a real socket", () => {
  const cases: [string, string | Uint8Array, number][] = [
    ["a truncated body", envelope('[{"a":1}').slice(0, -3), 400],
    ["text that is not JSON", "hello", 400],
    ["JSON of the wrong shape", '{"versions":1}', 422],
    ["a top-level array", "[1,2,3]", 422],
    ["a top-level scalar", "42", 422],
    ["payloads that are not objects", envelope('[1,"s",null,[1]]'), 422],
    ["an empty data array", envelope("[]"), 422],
    ["duplicate keys", '{"version":"1","token":"t","data":[{"a":1,"a":2}],"data":[{"b":1,"b":2}]}', 200],
    [
      "__proto__ and constructor keys",
      '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}},"version":"1","token":"t","data":[{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}]}',
      200,
    ],
    ["a payload nested 100,000 levels deep", envelope(`[{"deep":${deep(100_000)}}]`), 200],
    ["a top-level array nested 100,000 levels deep", deep(100_000), 422],
    ["a non-object payload nested 100,000 levels deep", envelope(`[${deep(100_000)}]`), 422],
    ["huge numbers", envelope('[{"n":1e400,"m":-123456789012345678901234567890.5e-999}]'), 200],
    ["a long string under MAX_PAYLOAD_BYTES", envelope(`[{"s":"${"x".repeat(60_000)}"}]`), 200],
    ["invalid UTF-8", concat('{"version":"1","token":"t","data":[{"s":"', [0xc3, 0x28], '"}]}'), 400],
    ["a NUL byte inside a string", concat('{"version":"1","token":"t","data":[{"s":"a', [0], 'b"}]}'), 400],
    ["a NUL byte between tokens", concat('{"version":"1","token":"t","data":[{"s":1}', [0], "]}"), 400],
    ["a UTF-8 byte order mark", `\uFEFF${envelope('[{"bom":true}]')}`, 200],
  ];
  for (const [what, body, status] of cases) {
    it(`answers ${status} to ${what}, then serves the next request`, async () => {
      const res = await rawRequest(service.port, postRequest(body));
      expect(res.status).toBe(status);
      await expectStillServing();
    });
  }

  it("rejects a collection holding one payload over MAX_PAYLOAD_BYTES with 413, whole", async () => {
    const res = await service.post(envelope(`[{"id":"small"},{"s":"${"x".repeat(300_000)}"}]`));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("PAYLOAD_TOO_LARGE");
    await expectStillServing();
  });

  it("answers 413 to a chunked body over the limit, with no Content-Length", async () => {
    const chunk = `${(512 * 1024).toString(16)}\r\n${"x".repeat(512 * 1024)}\r\n`;
    const res = await rawRequest(service.port, [
      "POST /v1/collect HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
      chunk,
      chunk,
      chunk,
      "0\r\n\r\n",
    ]);
    expect(res.status).toBe(413);
    await expectStillServing();
  });

  it("does not take a body longer than its Content-Length as one request", async () => {
    const body = envelope('[{"a":1}]');
    const res = await rawRequest(service.port, postRequest(body, { "content-length": "10" }));
    expect(res.status).toBe(400);
    await expectStillServing();
  });

  it("answers gzip bombs, truncated gzip and gzip that is plain text with 413 and 400s", async () => {
    const bomb = gzipSync(envelope(`[{"s":"${" ".repeat(5_000_000)}"}]`));
    expect((await rawRequest(service.port, postRequest(bomb, { "content-encoding": "gzip" }))).status).toBe(413);
    const truncated = gzipSync(envelope('[{"a":1}]')).subarray(0, 20);
    expect((await rawRequest(service.port, postRequest(truncated, { "content-encoding": "gzip" }))).status).toBe(400);
    expect((await rawRequest(service.port, postRequest(envelope('[{"a":1}]'), { "content-encoding": "gzip" }))).status).toBe(400);
    await expectStillServing();
  });
});

describe("slow and odd clients", () => {
  it("cuts off a body that stops arriving before its Content-Length: 408 and a closed connection", async () => {
    const stalled = ["POST /v1/collect HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n", '{"ver'];
    const res = await rawRequest(service.port, stalled, 5_000, { untilClosed: true });
    expect(res.status).toBe(408);
    expect(res.closed).toBe(true);
    expect(res.ms).toBeLessThan(4_000);
    await expectStillServing();
  });

  it("cuts off a body trickled a byte at a time once REQUEST_TIMEOUT_MS passes", async () => {
    const trickle: (string | number)[] = ["POST /v1/collect HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"];
    for (let i = 0; i < 20; i++) trickle.push("{", 100);
    const res = await rawRequest(service.port, trickle, 5_000);
    expect(res.status).toBe(408);
    await expectStillServing();
  });

  it("keeps serving while hundreds of connections sit silent", async () => {
    // Bun.serve closes none of these (it has no header timeout; see the README's security
    // section): each costs a socket and no request state, and the service keeps answering.
    const sockets = await Promise.all(
      Array.from({ length: 300 }, () => Bun.connect({ hostname: "127.0.0.1", port: service.port, socket: { data() {} } })),
    );
    await expectStillServing();
    for (const s of sockets) s.end();
  });

  it.skipIf(!haveHaproxy)("behind deploy/haproxy.cfg, cuts off a client trickling its headers (slowloris)", async () => {
    await using lb = await new HaProxy().start([service.port], { "http-request": "1s" });
    const trickle: (string | number)[] = ["POST /v1/collect HTTP/1.1\r\nhost: a\r\nx-slow: "];
    for (let i = 0; i < 40; i++) trickle.push("a", 100);
    const res = await rawRequest(lb.port, trickle, 3_000);
    expect(res.closed).toBe(true);
    expect(res.status).toBe(408);
    expect((await lb.post(collection(["via-haproxy"]))).status).toBe(200);
  });

  it("closes keep-alive connections left idle after a request, after IDLE_TIMEOUT_SECS", async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () => rawRequest(service.port, ["GET /health HTTP/1.1\r\nhost: a\r\n\r\n", 0], 0).then(() => null)),
    );
    expect(results).toHaveLength(100);
    const closedAfter = await new Promise<number>((resolve) => {
      const started = performance.now();
      void Bun.connect({
        hostname: "127.0.0.1",
        port: service.port,
        socket: {
          open: (s) => void s.write("GET /health HTTP/1.1\r\nhost: a\r\n\r\n"),
          data() {},
          close: () => resolve(performance.now() - started),
        },
      });
    });
    expect(closedAfter).toBeLessThan(10_000); // IDLE_TIMEOUT_SECS=2; Bun checks idleness at a coarse tick
    await expectStillServing();
  });

  it("routes the same whatever the Host header: a one-letter host still reaches /v1/collect", async () => {
    const res = await rawRequest(service.port, postRequest(envelope('[{"host":"x"}]'), {}, "x"));
    expect(res.status).toBe(200);
  });

  it("routes a request with no Host header at all (HTTP/1.0, as load balancer health checks send)", async () => {
    const res = await rawRequest(service.port, ["GET /ready HTTP/1.0\r\n\r\n"]);
    expect(res.status).toBe(200);
  });

  it("answers a very long URL and very many headers with 4xx, and keeps serving", async () => {
    expect((await rawRequest(service.port, [`GET /${"a".repeat(100_000)} HTTP/1.1\r\nhost: a\r\n\r\n`])).status).toBe(431);
    const headers = Array.from({ length: 2_000 }, (_, i) => `x-h${i}: v\r\n`).join("");
    expect((await rawRequest(service.port, [`GET /health HTTP/1.1\r\nhost: a\r\n${headers}\r\n`])).status).toBe(431);
    await expectStillServing();
  });

  it("answers HEAD and OPTIONS on the ingest path with 405 and Allow", async () => {
    for (const method of ["HEAD", "OPTIONS"]) {
      const res = await fetch(`${service.url}/v1/collect`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });
});
