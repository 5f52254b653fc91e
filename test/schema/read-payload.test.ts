import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { parseColumns } from "../../src/columns.ts";
import { payloadText } from "../../src/schema/payload-text.ts";
import { payloadReader, type Value } from "../../src/schema/read-payload.ts";

const enc = new TextEncoder();
const read = (spec: string, payload: string) => {
  const bytes = enc.encode(payload);
  const out = payloadReader(parseColumns(spec))(bytes, 0, bytes.length);
  return { values: [...out.values], extra: out.extra, mismatched: [...out.mismatched] };
};

describe("payloadReader", () => {
  it("types each column's value and keeps every other field's exact bytes in extra", () => {
    expect(read("event:string,n:bigint", '{"event":"boot", "n": 12,"x":1.50,"y":{"z":[1, 2]}}')).toEqual({
      values: ["boot", 12n],
      extra: '{"x":1.50,"y":{"z":[1, 2]}}',
      mismatched: [],
    });
    expect(read("event:string", '{"event":"boot"}').extra).toBeNull();
  });

  it("reads a dotted column into a nested object, whose other fields stay in extra under its key", () => {
    expect(read("counters.cpu_ms:bigint", '{"counters":{"cpu_ms":7,"mem":1},"a":2}')).toEqual({
      values: [7n],
      extra: '{"counters":{"mem":1},"a":2}',
      mismatched: [],
    });
    expect(read("counters.cpu_ms:bigint", '{"counters":{"cpu_ms":7}}').extra).toBeNull();
    // Not an object where the column reads into one: kept as it is.
    expect(read("counters.cpu_ms:bigint", '{"counters":5}')).toEqual({ values: [null], extra: '{"counters":5}', mismatched: [] });
  });

  it("keeps a 64-bit integer's digits exactly, and refuses one past 64 bits or with a fraction", () => {
    expect(read("n:bigint", '{"n":9223372036854775807}').values).toEqual([9223372036854775807n]);
    expect(read("n:bigint", '{"n":-9223372036854775808}').values).toEqual([-9223372036854775808n]);
    for (const n of ["9223372036854775808", "1.5", "1e3", '"123"', "true"]) {
      expect(read("n:bigint", `{"n":${n}}`)).toEqual({ values: [null], extra: `{"n":${n}}`, mismatched: [0] });
    }
  });

  it("takes timestamps as epoch milliseconds or ISO-8601 with an offset, and dates as YYYY-MM-DD", () => {
    const ms = BigInt(Date.UTC(2026, 11, 3, 7, 30, 0, 250));
    expect(read("t:timestamp_ms", `{"t":${ms}}`).values).toEqual([ms]);
    expect(read("t:timestamp_ms", '{"t":"2026-12-03T07:30:00.250Z"}').values).toEqual([ms]);
    expect(read("t:timestamp_ms", '{"t":"2026-12-03T08:30:00.250+01:00"}').values).toEqual([ms]);
    expect(read("t:timestamp_ms", '{"t":"2026-12-03"}').values).toEqual([BigInt(Date.UTC(2026, 11, 3))]);
    for (const t of ['"2026-12-03T07:30:00"', '"yesterday"', "1.5", "false"]) expect(read("t:timestamp_ms", `{"t":${t}}`).mismatched).toEqual([0]);
    expect(read("d:date", '{"d":"2026-12-03"}').values).toEqual([Date.UTC(2026, 11, 3) / 86_400_000]);
    for (const d of ['"2026-02-31"', '"2026-12-03T00:00:00Z"', "20261203"]) expect(read("d:date", `{"d":${d}}`).mismatched).toEqual([0]);
  });

  it("keeps a json column's exact bytes, and reads strings, doubles and booleans", () => {
    expect(read("j:json,s:string,d:double,b:boolean", '{"j":{"a": [1,2.0]},"s":"h\\u00e9 \\"x\\"","d":-1.5e3,"b":false}').values).toEqual([
      '{"a": [1,2.0]}',
      'hé "x"',
      -1500,
      false,
    ]);
    expect(read("s:string", '{"s":5}')).toEqual({ values: [null], extra: '{"s":5}', mismatched: [0] });
  });

  it("reads a JSON null as a missing field, keeps the first of a repeated key, and leaves a payload that is no object whole", () => {
    expect(read("a:string", '{"a":null}')).toEqual({ values: [null], extra: null, mismatched: [] });
    expect(read("a:string", '{"a":"x","a":"y"}')).toEqual({ values: ["x"], extra: '{"a":"y"}', mismatched: [] });
    expect(read("a:string", "[1,2]")).toEqual({ values: [null], extra: "[1,2]", mismatched: [] });
    expect(read("a:string", "{}")).toEqual({ values: [null], extra: null, mismatched: [] });
  });

  it("gives the payload back: its typed values and extra together are the same fields with the same values", () => {
    const columns = "id:bigint,name:string,score:double,ok:boolean,meta.kind:string,meta.n:bigint,raw:json";
    const readFields = payloadReader(parseColumns(columns));
    const field = fc.oneof(fc.constantFrom("id", "name", "score", "ok", "meta", "raw"), fc.string({ maxLength: 4 }));
    const value = fc.oneof(fc.jsonValue(), fc.integer(), fc.string(), fc.boolean(), fc.dictionary(fc.constantFrom("kind", "n", "z"), fc.jsonValue()));
    fc.assert(
      fc.property(fc.dictionary(field, value), (payload) => {
        const text = JSON.stringify(payload);
        const bytes = enc.encode(text);
        const { values, extra } = readFields(bytes, 0, bytes.length);
        const back: Record<string, unknown> = extra === null ? {} : JSON.parse(extra);
        const put = (path: string[], v: Value) => {
          if (v === null) return;
          let into = back;
          for (const key of path.slice(0, -1)) {
            into[key] ??= {};
            into = into[key] as Record<string, unknown>;
          }
          into[path.at(-1)!] = typeof v === "bigint" ? Number(v) : path[0] === "raw" ? JSON.parse(v as string) : v;
        };
        parseColumns(columns).forEach((c, i) => {
          put([...c.path], values[i]!);
        });
        // A JSON null reads as a missing field: drop them from what was sent before comparing.
        const withoutNulls = JSON.parse(text, (_k, v) => (v === null ? undefined : v));
        expect(JSON.parse(JSON.stringify(back), (_k, v) => (v === null ? undefined : v))).toEqual(withoutNulls);
      }),
      { numRuns: 500 },
    );
  });

  it("writes a payload back from its values and extra (payloadText), which reads again to the same values and extra", () => {
    const spec = "id:bigint,name:string,score:double,ok:boolean,t:timestamp_ms,d:date,meta.kind:string,meta.n:bigint,raw:json";
    const columns = parseColumns(spec);
    const readFields = payloadReader(columns);
    expect(payloadText(columns, [7n, null, null, null, null, 20425, "x", 9223372036854775807n, null], '{"meta":{"z":1},"a":[1]}')).toBe(
      '{"meta":{"z":1,"kind":"x","n":9223372036854775807},"a":[1],"id":7,"d":"2025-12-03"}',
    );
    const value = fc.oneof(
      fc.jsonValue(),
      fc.integer(),
      fc.string(),
      fc.constant("2026-12-03"),
      fc.dictionary(fc.constantFrom("kind", "n", "z"), fc.jsonValue()),
    );
    const field = fc.oneof(fc.constantFrom("id", "name", "score", "ok", "t", "d", "meta", "raw"), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.dictionary(field, value), (payload) => {
        const bytes = enc.encode(JSON.stringify(payload));
        const first = readFields(bytes, 0, bytes.length);
        const values = [...first.values];
        const extra = first.extra;
        const again = enc.encode(payloadText(columns, values, extra));
        const second = readFields(again, 0, again.length);
        expect([...second.values]).toEqual(values);
        expect(second.extra === null ? null : JSON.parse(second.extra)).toEqual(extra === null ? null : JSON.parse(extra));
      }),
      { numRuns: 500 },
    );
  });
});
