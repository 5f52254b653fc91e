import { describe, expect, it } from "bun:test";
import { eachMember } from "../../src/json/members.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("eachMember", () => {
  it("gives each member's key and value spans in order, and the index past the object", () => {
    const s = enc.encode(' { "a" : 1 , "b\\"":{"c":[1,{}]},"d":"x"} tail');
    const seen: [string, string][] = [];
    const end = eachMember(s, 1, (ks, ke, vs, ve) => void seen.push([dec.decode(s.subarray(ks, ke)), dec.decode(s.subarray(vs, ve))]));
    expect(seen).toEqual([
      ['"a"', "1"],
      ['"b\\""', '{"c":[1,{}]}'],
      ['"d"', '"x"'],
    ]);
    expect(dec.decode(s.subarray(end))).toBe(" tail");
    expect(eachMember(enc.encode("{ }"), 0, () => expect.unreachable())).toBe(3);
  });

  it("throws SyntaxError on bytes that are not an object's members", () => {
    for (const bad of ['{"a" 1}', '{"a":1 "b":2}', '{"a":1']) expect(() => eachMember(enc.encode(bad), 0, () => {})).toThrow(SyntaxError);
  });
});
