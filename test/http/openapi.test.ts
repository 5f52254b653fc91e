// GET /openapi.json: a valid OpenAPI 3.1 document (checked by a validator from npm) that says
// what the service does: every error code under its status, the headers, the config's limits;
// and responses the service really gives, checked against what the document declares.
import { describe, expect, it } from "bun:test";
import { gzipSync } from "node:zlib";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ERRORS } from "../../src/errors.ts";
import { testService } from "../support/app.ts";

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        responses: Record<
          string,
          {
            description: string;
            headers?: Record<string, unknown>;
            content: { "application/json": { schema: { required?: string[]; properties: Record<string, { enum?: string[] }> } } };
          }
        >;
      }
    >
  >;
};

const fetchDoc = async (env: Record<string, string> = {}) => {
  const t = testService(env);
  const res = await t.request("/openapi.json");
  expect(res.status).toBe(200);
  return { t, doc: (await res.json()) as Doc };
};

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const { doc } = await fetchDoc();
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator itself can refuse: a response without its required description.
    const broken = { ...doc, paths: { "/x": { get: { responses: { "200": {} } } } } };
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  it("lists every error code under its status, with the catalog's headers and Retry-After on 429 and 503", async () => {
    const { doc } = await fetchDoc();
    const responses = doc.paths["/v1/collect"]!.post!.responses;
    for (const [code, spec] of Object.entries(ERRORS)) {
      const response = responses[String(spec.status)]!;
      expect(response.content["application/json"].schema.properties.error!.enum).toContain(code);
      expect(response.description).toContain(code);
    }
    expect(Object.keys(responses["429"]!.headers!)).toEqual(["Retry-After"]);
    expect(Object.keys(responses["503"]!.headers!)).toEqual(["Retry-After"]);
    expect(Object.keys(responses["405"]!.headers!)).toEqual(["Allow"]);
    expect(Object.keys(responses["200"]!.content["application/json"].schema.properties)).toEqual(["accepted"]);
  });

  it("states the limits of the effective config", async () => {
    const { doc } = await fetchDoc({ MAX_BODY_BYTES: "2048", MAX_PAYLOADS_PER_REQUEST: "7", MAX_PAYLOAD_BYTES: "512" });
    const post = doc.paths["/v1/collect"]!.post! as unknown as {
      description: string;
      requestBody: { content: { "application/json": { schema: { properties: { data: { maxItems: number } } } } } };
    };
    expect(post.description).toContain("at most 2048 bytes");
    expect(post.description).toContain("at most 7 payloads");
    expect(post.description).toContain("at most 512 bytes");
    expect(post.requestBody.content["application/json"].schema.properties.data.maxItems).toBe(7);
  });

  it("matches what the service answers: each status's body and headers as declared", async () => {
    const { t, doc } = await fetchDoc({
      MAX_PAYLOADS_PER_REQUEST: "2",
      MAX_BODY_BYTES: "4096",
      ALLOWED_TOKENS: "t",
      TOKEN_RATE_LIMIT_PER_SEC: "20",
      REQUEST_TIMEOUT_MS: "100",
    });
    const responses = doc.paths["/v1/collect"]!.post!.responses;
    const collection = (data: unknown[], token = "t") => JSON.stringify({ version: "1", token, data });
    /** Posts until the token's bucket is empty: the answer that ends it. */
    const untilLimited = async () => {
      for (let i = 0; i < 1_000; i++) {
        const res = await t.post(collection([{ i }]));
        if (res.status !== 200) return res;
      }
      throw new Error("never rate limited");
    };
    const draining = async () => {
      t.service.state.draining = true;
      try {
        return await t.post(collection([{ a: 1 }]));
      } finally {
        t.service.state.draining = false;
      }
    };
    /** A body that stops arriving: the HTTP thread's housekeeping finds it past its deadline. */
    const stalled = async () => {
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(new TextEncoder().encode('{"version":"1","data":[')),
      });
      const stop = t.http.startHousekeeping();
      try {
        return await t.request("/v1/collect", {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
          duplex: "half",
        } as RequestInit);
      } finally {
        stop();
      }
    };
    /** A failure nobody foresaw, inside the handler: the token check throws. */
    const internal = async () => {
      const allows = t.http.tokens.allows;
      t.http.tokens.allows = () => {
        throw new TypeError("a bug");
      };
      try {
        return await t.post(collection([{ a: 1 }]));
      } finally {
        t.http.tokens.allows = allows;
      }
    };
    const cases: [string, () => Promise<Response>][] = [
      ["200", () => t.post(collection([{ a: 1 }]))],
      ["200 gzip", () => t.post(gzipSync(collection([{ a: 1 }])), { "content-encoding": "gzip" })],
      ["400", () => t.post("{not json")],
      ["404", () => t.request("/nope")],
      ["405", () => t.request("/v1/collect", { method: "GET" })],
      ["413", () => t.post(collection([{ a: "x".repeat(5000) }]))],
      ["415", () => t.post(collection([{ a: 1 }]), { "content-type": "text/plain" })],
      ["422", () => t.post(collection([{}, {}, {}]))],
      ["401", () => t.post(collection([{ a: 1 }], "someone-else"))],
      ["408", stalled],
      ["500", internal],
      ["503 draining", draining],
      ["429", untilLimited],
    ];
    for (const [name, send] of cases) {
      const res = await send();
      const status = name.split(" ")[0]!;
      expect({ name, status: res.status }).toEqual({ name, status: Number(status) });
      const declared = responses[status]!;
      const schema = declared.content["application/json"].schema;
      const body = (await res.json()) as Record<string, unknown>;
      for (const key of schema.required ?? []) expect({ name, key, present: key in body }).toEqual({ name, key, present: true });
      if (schema.properties.error) expect(schema.properties.error.enum).toContain(body.error as string);
      for (const header of Object.keys(declared.headers ?? {}))
        expect({ name, header, sent: res.headers.has(header) }).toEqual({ name, header, sent: true });
    }
  });
});
