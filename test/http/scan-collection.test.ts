import { describe, expect, it } from "bun:test";
import { scanCollection } from "../../src/http/scan-collection.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const payloads = (json: string | Uint8Array) => {
  const body = typeof json === "string" ? enc(json) : json;
  const { spans } = scanCollection(body);
  const out: string[] = [];
  for (let i = 0; i < spans.length; i += 2) out.push(dec(body.subarray(spans[i]!, spans[i + 1]!)));
  return out;
};

describe("scanCollection", () => {
  it("returns each payload's bytes exactly as sent", () => {
    expect(payloads('{"version":"1","token":"t","data":[{"a":1},{"b":[1,{"c":"}]"}]}]}')).toEqual(['{"a":1}', '{"b":[1,{"c":"}]"}]}']);
  });

  it("keeps integers beyond 2^53 with all their digits", () => {
    expect(payloads('{"data":[{"id":12345678901234567890,"f":1.50e+300}]}')).toEqual(['{"id":12345678901234567890,"f":1.50e+300}']);
  });

  it("gives the schema the envelope, with object payloads as empty objects and others as they are", () => {
    const { envelope } = scanCollection(enc('{"version":"1.0","token":"t","extra":{"x":[1]},"data":[{"a":1},7,"s",null,[1]]}'));
    expect(envelope).toEqual({ version: "1.0", token: "t", data: [{}, 7, "s", null, []] });
  });

  it("hands a top level that is not an object to the schema whole", () => {
    expect(scanCollection(enc(" [1,2] ")).envelope).toEqual([]); // containers reach the schema empty: it only checks their type
    expect(scanCollection(enc('"x"')).envelope).toBe("x");
  });

  it("finds data wherever it stands, and takes the last of repeated keys, as JSON.parse does", () => {
    expect(payloads('{"token":"x","data":[{"n":1}],"version":"2"}')).toEqual(['{"n":1}']);
    expect(payloads('{"meta":{"data":[{"wrong":1}]},"data":[{"right":1}]}')).toEqual(['{"right":1}']);
    expect(payloads('{"data":[{"first":1}],"data":[{"last":1}]}')).toEqual(['{"last":1}']);
    const replaced = scanCollection(enc('{"data":[{"first":1}],"data":5}'));
    expect(replaced).toEqual({ envelope: { data: 5 }, spans: [] });
  });

  it("recognises an escaped spelling of the data key", () => {
    expect(payloads('{"d\\u0061ta":[{"x":1}]}')).toEqual(['{"x":1}']);
  });

  it("handles escaped quotes and backslashes inside strings", () => {
    expect(payloads('{"data":[{"s":"a\\"b\\\\"},{"t":"\\\\\\""}]}')).toEqual(['{"s":"a\\"b\\\\"}', '{"t":"\\\\\\""}']);
  });

  it("turns line breaks between a payload's tokens into spaces, so it stays on one line", () => {
    expect(payloads('{\r\n "data" : [\n  {\n"a" :\r\n1 } ,\n {"b":"x\\ny"}\n ]\n}')).toEqual(['{ "a" :  1 }', '{"b":"x\\ny"}']);
  });

  it("skips a UTF-8 byte order mark", () => {
    expect(payloads('\uFEFF{"data":[{"a":"é"}]}')).toEqual(['{"a":"é"}']);
  });

  it("walks deeply nested payloads without recursion", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(payloads(`{"data":[{"d":${deep}}]}`)[0]!.length).toBe(deep.length + 6);
  });

  it.each([
    ["truncated", '{"data":[{"a":1}'],
    ["trailing comma in an array", '{"data":[{"a":1},]}'],
    ["trailing comma in an object", '{"data":[{"a":1,}]}'],
    ["a leading zero", '{"data":[{"a":01}]}'],
    ["a bare dot", '{"data":[{"a":1.}]}'],
    ["a bad escape", '{"data":[{"a":"\\x"}]}'],
    ["a raw tab in a string", '{"data":[{"a":"\t"}]}'],
    ["single quotes", "{'data':[]}"],
    ["a second value", '{"data":[]} {}'],
    ["NaN", '{"data":[{"a":NaN}]}'],
    ["an empty body", ""],
  ])("rejects %s", (_, json) => {
    expect(() => scanCollection(enc(json))).toThrow(SyntaxError);
  });

  it.each([
    ["a lone continuation byte", [0x80]],
    ["an overlong slash", [0xc0, 0xaf]],
    ["a UTF-16 surrogate", [0xed, 0xa0, 0x80]],
    ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["a truncated sequence", [0xe2, 0x82]],
  ])("rejects invalid UTF-8: %s", (_, bytes) => {
    const body = new Uint8Array([...enc('{"data":[{"a":"'), ...bytes, ...enc('"}]}')]);
    expect(() => scanCollection(body)).toThrow(SyntaxError);
  });
});

// Differential check: the scanner must accept exactly what JSON.parse of the strictly decoded
// text accepts, and find the same payloads. Seeded, so a failure reproduces.
describe("scanCollection agrees with JSON.parse", () => {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const ws = () => pick(["", "", "", " ", "\n", "\t", "\r\n "]);
  const value = (depth: number): string => {
    const r = rand();
    if (depth > 3 || r < 0.4) return pick(['"s"', '"\\u00e9\\n"', "0", "-1.5e3", "12345678901234567890", "true", "false", "null", '"é€😀"', '""']);
    if (r < 0.7)
      return `{${Array.from({ length: Math.floor(rand() * 3) }, (_, i) => `${ws()}"k${i}"${ws()}:${ws()}${value(depth + 1)}`).join(",")}${ws()}}`;
    return `[${Array.from({ length: Math.floor(rand() * 3) }, () => ws() + value(depth + 1) + ws()).join(",")}]`;
  };
  const collection = () =>
    `${ws()}{${ws()}"version":${ws()}"1",${ws()}"data":${ws()}[${Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ws() + value(1) + ws()).join(",")}]${ws()},"token":"t"}${ws()}`;
  const noise = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x31, 0x2d, 0x2e, 0x65, 0x75, 0x20, 0x0a, 0x00, 0x80, 0xc3, 0xe2, 0xf0, 0xff];
  const mutate = (b: Uint8Array): Uint8Array => {
    const out = [...b];
    for (let n = 1 + Math.floor(rand() * 2); n > 0; n--) {
      const at = Math.floor(rand() * (out.length + 1));
      const op = rand();
      if (op < 0.33) out.splice(at, 1);
      else if (op < 0.66) out.splice(at, 0, pick(noise));
      else out[at] = pick(noise);
    }
    return new Uint8Array(out);
  };
  const strict = (b: Uint8Array) => {
    try {
      return { ok: true as const, value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b)) };
    } catch {
      return { ok: false as const };
    }
  };

  it("on 20,000 generated and mutated bodies", () => {
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const valid = enc(collection());
      const body = n % 2 === 0 ? valid : mutate(valid);
      const expected = strict(body.slice());
      let scanned: ReturnType<typeof scanCollection> | null = null;
      try {
        scanned = scanCollection(body);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
      }
      if (expected.ok !== (scanned !== null))
        throw new Error(`disagree on ${JSON.stringify(dec(body))}: JSON.parse ${expected.ok ? "accepts" : "rejects"}`);
      if (!scanned || !expected.ok) continue;
      accepted++;
      const data = (expected.value as { data?: unknown }).data;
      if (!Array.isArray(data)) continue;
      const found: unknown[] = [];
      for (let i = 0; i < scanned.spans.length; i += 2) found.push(JSON.parse(dec(body.subarray(scanned.spans[i]!, scanned.spans[i + 1]!))));
      expect(found).toEqual(data);
    }
    expect(accepted).toBeGreaterThan(10_000);
  });
});
