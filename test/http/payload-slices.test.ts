import { describe, expect, it } from "bun:test";
import { payloadSlices } from "../../src/http/payload-slices.ts";

const slices = (json: string) => payloadSlices(new TextEncoder().encode(json)).map((b) => new TextDecoder().decode(b));

describe("payloadSlices", () => {
  it("returns each payload's bytes exactly as sent", () => {
    expect(slices('{"version":"1","token":"t","data":[{"a":1},{"b":[1,{"c":"}]"}]}]}')).toEqual(['{"a":1}', '{"b":[1,{"c":"}]"}]}']);
  });

  it("keeps integers beyond 2^53 with all their digits", () => {
    expect(slices('{"data":[{"id":12345678901234567890,"f":1.50e+300}]}')).toEqual(['{"id":12345678901234567890,"f":1.50e+300}']);
  });

  it("finds data wherever it stands among the other members", () => {
    expect(slices('{"token":"x","data":[{"n":1}],"version":"2"}')).toEqual(['{"n":1}']);
    expect(slices('{"meta":{"data":[{"wrong":1}]},"data":[{"right":1}]}')).toEqual(['{"right":1}']);
  });

  it("handles escaped quotes and backslashes inside strings", () => {
    expect(slices('{"data":[{"s":"a\\"b\\\\"},{"t":"\\\\\\""}]}')).toEqual(['{"s":"a\\"b\\\\"}', '{"t":"\\\\\\""}']);
  });

  it("takes the last data member when a key repeats, as JSON.parse does", () => {
    expect(slices('{"data":[{"first":1}],"data":[{"last":1}]}')).toEqual(['{"last":1}']);
  });

  it("recognises an escaped spelling of the data key", () => {
    expect(slices('{"d\\u0061ta":[{"x":1}]}')).toEqual(['{"x":1}']);
  });

  it("turns line breaks between tokens into spaces so each payload stays on one line", () => {
    expect(slices('{\r\n "data" : [\n  {\n"a" :\r\n1 } ,\n {"b":"x\\ny"}\n ]\n}')).toEqual(['{ "a" :  1 }', '{"b":"x\\ny"}']);
  });

  it("skips a UTF-8 byte order mark", () => {
    expect(slices('\uFEFF{"data":[{"a":"é"}]}')).toEqual(['{"a":"é"}']);
  });

  it("walks deeply nested payloads without recursion", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const out = slices(`{"data":[{"d":${deep}}]}`);
    expect(out[0]!.length).toBe(deep.length + 6);
  });

  it("rejects a top level that is not an object", () => {
    expect(() => slices("[1]")).toThrow(SyntaxError);
  });
});
