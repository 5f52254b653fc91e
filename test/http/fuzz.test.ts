// Property-based test of POST /v1/collect: generated collections, mutated around the schema.
// Seeded and bounded in CI (FUZZ_RUNS, FUZZ_SEED); `bun run fuzz` runs many more cases.
import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { testService } from "../support/app.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const MAX_PAYLOADS = 20;

/** The oracle: what a valid collection is, by JSON.parse after a strict UTF-8 decode. */
function validCollection(body: Uint8Array): number | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { version, token, data } = value as Record<string, unknown>;
  if (typeof version !== "string" || typeof token !== "string" || !Array.isArray(data)) return null;
  if (data.length === 0 || data.length > MAX_PAYLOADS) return null;
  if (!data.every((p) => typeof p === "object" && p !== null && !Array.isArray(p))) return null;
  return data.length;
}

const payload = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
const collection = fc.record(
  {
    version: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
    token: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(null)),
    data: fc.oneof(fc.array(payload, { minLength: 0, maxLength: MAX_PAYLOADS + 2 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 })),
  },
  { requiredKeys: [] },
);
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("insert", "delete", "replace", "truncate"),
  byte: fc.constantFrom(0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x2d, 0x20, 0x0a, 0x00, 0x80, 0xc3, 0xff),
});
const body = fc.oneof(
  { weight: 3, arbitrary: collection.map((c) => new TextEncoder().encode(JSON.stringify(c))) },
  {
    weight: 3,
    arbitrary: fc.tuple(collection, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([c, ms]) => {
      const bytes = [...new TextEncoder().encode(JSON.stringify(c))];
      for (const m of ms) {
        const at = m.at % (bytes.length + 1);
        if (m.op === "insert") bytes.splice(at, 0, m.byte);
        else if (m.op === "delete") bytes.splice(at, 1);
        else if (m.op === "replace") bytes[at] = m.byte;
        else bytes.length = at;
      }
      return new Uint8Array(bytes);
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

describe("POST /v1/collect under generated input", () => {
  it(`never answers 5xx or crashes, answers 200 only to valid collections, and keeps its accounting (${RUNS} cases, seed ${SEED})`, async () => {
    const t = testService({ MAX_PAYLOADS_PER_REQUEST: String(MAX_PAYLOADS) });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const res = await t.post(bytes);
        const valid = validCollection(bytes);
        expect(res.status).toBeLessThan(500);
        if (valid === null) expect(res.status).not.toBe(200);
        else {
          expect(res.status).toBe(200);
          expect(await res.json()).toEqual({ accepted: valid });
          accepted += valid;
        }
        // accepted = stored + queued (no upload loop runs here, so all are queued)
        expect(t.ring.length).toBe(accepted);
        expect(t.service.metrics.payloadsAccepted.get()).toBe(accepted);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
