import { describe, expect, it } from "bun:test";
import { gzipSync } from "node:zlib";
import { testService } from "../support/app.ts";
import { collection, ids } from "../support/collections.ts";

const SECRET = "s3cr3t-token-value";

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  const body = (await res.json()) as { error: string; message: string };
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe("string");
  expect(JSON.stringify(body)).not.toContain(SECRET);
  return body;
}

const chunked = (...parts: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p);
      c.close();
    },
  });

describe("POST /v1/collect", () => {
  it("answers 200 with the count once every payload is in the queue", async () => {
    const t = testService();
    const res = await t.post(collection(ids("a", 3)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3 });
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["a-0", "a-1", "a-2"]);
    expect(t.service.metrics.payloadsAccepted.get()).toBe(3);
  });

  it("queues payloads with their exact digits", async () => {
    const t = testService();
    const res = await t.post('{"version":"1","token":"t","data":[{"id": 12345678901234567890, "x": 1.0}]}');
    expect(res.status).toBe(200);
    expect(t.queued()).toEqual(['{"id": 12345678901234567890, "x": 1.0}']);
  });

  it("accepts a charset parameter on the content type", async () => {
    const t = testService();
    expect((await t.post(collection(["x"]), { "content-type": "application/json; charset=utf-8" })).status).toBe(200);
  });

  it("answers 400 INVALID_JSON to malformed JSON", async () => {
    const t = testService();
    await expectError(await t.post(`{"version":"1","token":"${SECRET}","data":[{`), 400, "INVALID_JSON");
  });

  it("answers 400 INVALID_JSON to invalid UTF-8", async () => {
    const t = testService();
    const body = new Uint8Array([
      ...new TextEncoder().encode('{"version":"1","token":"t","data":[{"a":"'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}]}'),
    ]);
    await expectError(await t.post(body), 400, "INVALID_JSON");
  });

  it("answers 422 VALIDATION naming the field, without echoing the token", async () => {
    const t = testService();
    const body = await expectError(await t.post(JSON.stringify({ version: 7, token: SECRET, data: [{}] })), 422, "VALIDATION");
    expect(body.message).toContain("/version");
    const missing = await expectError(await t.post(JSON.stringify({ version: "1", data: [{}] })), 422, "VALIDATION");
    expect(missing.message).toContain("/token");
  });

  it("answers 422 VALIDATION to an empty data array", async () => {
    const t = testService();
    const body = await expectError(await t.post(JSON.stringify({ version: "1", token: SECRET, data: [] })), 422, "VALIDATION");
    expect(body.message).toContain("/data");
  });

  it("answers 422 VALIDATION to payloads that are not objects, naming the index", async () => {
    const t = testService();
    for (const bad of [1, "s", null, [], true]) {
      const body = await expectError(await t.post(JSON.stringify({ version: "1", token: SECRET, data: [{}, bad] })), 422, "VALIDATION");
      expect(body.message).toContain("/data/1");
    }
    expect(t.queued()).toEqual([]);
  });

  it("answers 422 VALIDATION to a top level that is not an object", async () => {
    const t = testService();
    await expectError(await t.post("[1,2]"), 422, "VALIDATION");
    await expectError(await t.post('"text"'), 422, "VALIDATION");
  });

  it("answers 422 VALIDATION to more than MAX_PAYLOADS_PER_REQUEST payloads", async () => {
    const t = testService({ MAX_PAYLOADS_PER_REQUEST: "2" });
    const body = await expectError(await t.post(collection(ids("a", 3), SECRET)), 422, "VALIDATION");
    expect(body.message).toContain("/data");
    expect((await t.post(collection(ids("a", 2)))).status).toBe(200);
  });

  it("answers 413 to a Content-Length over MAX_BODY_BYTES", async () => {
    const t = testService({ MAX_BODY_BYTES: "1024" });
    await expectError(await t.post(collection(ids("a", 50))), 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers 413 to a chunked body that grows over MAX_BODY_BYTES, without reading it all", async () => {
    const t = testService({ MAX_BODY_BYTES: "1024" });
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(512).fill(0x20));
      },
    });
    await expectError(await t.post(endless), 413, "PAYLOAD_TOO_LARGE");
    expect(pulled).toBeLessThan(10);
  });

  it("accepts a chunked body under the limit", async () => {
    const t = testService({ MAX_BODY_BYTES: "4096" });
    const text = new TextEncoder().encode(collection(["c1", "c2"]));
    const res = await t.post(chunked(text.subarray(0, 10), text.subarray(10)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2 });
  });

  it("accepts a gzip body", async () => {
    const t = testService();
    const res = await t.post(gzipSync(collection(["g1", "g2"])), { "content-encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["g1", "g2"]);
  });

  it("answers 413 to a gzip bomb that inflates past MAX_BODY_BYTES", async () => {
    const t = testService({ MAX_BODY_BYTES: "65536" });
    const bomb = gzipSync(`{"version":"1","token":"t","data":[{"x":"${" ".repeat(10_000_000)}"}]}`);
    expect(bomb.length).toBeLessThan(65536);
    await expectError(await t.post(bomb, { "content-encoding": "gzip" }), 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers 400 INVALID_GZIP to a body declared gzip that is not", async () => {
    const t = testService();
    await expectError(await t.post(collection(["x"]), { "content-encoding": "gzip" }), 400, "INVALID_GZIP");
    await expectError(await t.post(gzipSync(collection(["x"])).subarray(0, 30), { "content-encoding": "gzip" }), 400, "INVALID_GZIP");
  });

  it("answers 415 to another content encoding", async () => {
    const t = testService();
    await expectError(await t.post(collection(["x"]), { "content-encoding": "br" }), 415, "UNSUPPORTED_ENCODING");
  });

  it("answers 415 to a content type other than JSON", async () => {
    const t = testService();
    await expectError(await t.post(collection(["x"]), { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    const res = await t.request("/v1/collect", { method: "POST", body: new Blob([collection(["x"])]) });
    await expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 405 with Allow to other methods on the path", async () => {
    const t = testService();
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await t.request("/v1/collect", { method });
      await expectError(res, 405, "METHOD_NOT_ALLOWED");
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("answers 404 to an unknown path", async () => {
    const t = testService();
    await expectError(await t.request("/v2/nothing"), 404, "NOT_FOUND");
    await expectError(await t.request("/v1/collect/extra", { method: "POST" }), 404, "NOT_FOUND");
  });

  it("answers 503 QUEUE_FULL with Retry-After when the whole collection does not fit, and queues none of it", async () => {
    const t = testService({ MAX_QUEUE_PAYLOADS: "5" });
    expect((await t.post(collection(ids("a", 3)))).status).toBe(200);
    const res = await t.post(collection(ids("b", 3)));
    await expectError(res, 503, "QUEUE_FULL");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["a-0", "a-1", "a-2"]);
  });

  it("answers 503 QUEUE_FULL before reading the body when the queue is at capacity", async () => {
    const t = testService({ MAX_QUEUE_PAYLOADS: "2" });
    expect((await t.post(collection(ids("a", 2)))).status).toBe(200);
    await expectError(await t.post(collection(["b"])), 503, "QUEUE_FULL");
  });

  it("answers 503 DRAINING while shutting down", async () => {
    const t = testService();
    t.service.state.draining = true;
    const res = await t.post(collection(["x"]));
    await expectError(res, 503, "DRAINING");
    expect(t.queued()).toEqual([]);
  });
});

describe("health, readiness and metrics", () => {
  it("answers /health 200 while the process is up, even while draining", async () => {
    const t = testService();
    t.service.state.draining = true;
    expect((await t.request("/health")).status).toBe(200);
  });

  it("answers /ready 200 normally and 503 while draining", async () => {
    const t = testService();
    expect((await t.request("/ready")).status).toBe(200);
    t.service.state.draining = true;
    const res = await t.request("/ready");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, reason: "draining" });
  });

  it("answers /ready 503 while the store is failing", async () => {
    const t = testService();
    t.service.health.failure(false);
    const res = await t.request("/ready");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, reason: "store_failing" });
  });

  it("serves Prometheus metrics with the buffer's depth and capacity", async () => {
    const t = testService({ MAX_QUEUE_PAYLOADS: "1000" });
    await t.post(collection(ids("m", 4)));
    const res = await t.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    const text = await res.text();
    expect(text).toContain("s3_ingest_payloads_accepted_total 4");
    expect(text).toContain('s3_ingest_buffer_payloads{buffer_type="memory"} 4');
    expect(text).toContain('s3_ingest_buffer_capacity_payloads{buffer_type="memory"} 1000');
    expect(text).toContain("# TYPE s3_ingest_upload_duration_seconds histogram");
    for (const name of [
      "s3_ingest_objects_written_total",
      "s3_ingest_bytes_written_total",
      "s3_ingest_upload_errors_total",
      "s3_ingest_upload_retries_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
  });
});

describe("access over HTTP", () => {
  it("answers 401 UNAUTHORIZED to a token not allowed, without echoing it", async () => {
    const t = testService({ ALLOWED_TOKENS: "good" });
    const res = await t.post(collection(["x"], "bad-secret-token"));
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).error).toBe("UNAUTHORIZED");
    expect(text).not.toContain("bad-secret-token");
    expect((await t.post(collection(["y"], "good"))).status).toBe(200);
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["y"]);
  });

  it("answers 429 RATE_LIMITED with Retry-After past TOKEN_RATE_LIMIT_PER_SEC, per token", async () => {
    const t = testService({ TOKEN_RATE_LIMIT_PER_SEC: "2" });
    expect((await t.post(collection(["1"], "a"))).status).toBe(200);
    expect((await t.post(collection(["2"], "a"))).status).toBe(200);
    const limited = await t.post(collection(["3"], "a"));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toBe("RATE_LIMITED");
    expect((await t.post(collection(["4"], "b"))).status).toBe(200);
  });

  it("keeps tokens out of the queued payloads and the metrics", async () => {
    const t = testService({ ALLOWED_TOKENS: "tok-abc" });
    await t.post(collection(["p"], "tok-abc"));
    await t.post(collection(["q"], "tok-xyz"));
    expect(t.queued().join("\n")).not.toContain("tok-");
    expect(await (await t.request("/metrics")).text()).not.toContain("tok-");
  });

  it("serves /metrics and the status page only on the admin app when ADMIN_PORT is set", async () => {
    const t = testService({ ADMIN_PORT: "9100" });
    for (const path of ["/metrics", "/status", "/status.json"]) expect((await t.request(path)).status).toBe(404);
    expect((await t.request("/ready")).status).toBe(200);
    const admin = (path: string) => t.http.adminApp!.handle(new Request(`http://localhost${path}`));
    expect(await (await admin("/metrics")).text()).toContain("s3_ingest_payloads_accepted_total");
    expect((await admin("/status")).status).toBe(200);
    expect(((await (await admin("/status.json")).json()) as { state: string }).state).toBe("ready");
  });
});
