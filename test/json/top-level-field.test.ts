import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { fieldFinder, valueText } from "../../src/json/top-level-field.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
/** The field's text, as the partitioner reads it: where it lies, then its value. */
const fieldIn = (name: string, b: Uint8Array, start: number, end: number) => {
  const span = fieldFinder(name)(b, start, end);
  return span && valueText(b, span.start, span.end);
};
const read = (name: string, payload: string) => {
  const b = bytes(payload);
  return fieldIn(name, b, 0, b.length);
};

describe("fieldFinder and valueText", () => {
  it("gives a string's characters, a number's digits as sent, and true or false", () => {
    expect(read("event", '{"id":1,"event":"boot"}')).toBe("boot");
    expect(read("event", '{"event":1.50}')).toBe("1.50");
    expect(read("event", '{"event":-12345678901234567890}')).toBe("-12345678901234567890");
    expect(read("event", '{"event":false}')).toBe("false");
    expect(read("event", '{ "a" : [1, {"event": "inner"}] , "event" : true }')).toBe("true");
  });

  it("decodes escapes in the value and in keys", () => {
    expect(read("event", '{"event":"a\\"b\\u00e9\\/"}')).toBe('a"bé/');
    expect(read("event", '{"\\u0065vent":"escaped key"}')).toBe("escaped key");
    expect(read("é", '{"é":"x"}')).toBe("x");
  });

  it("gives null for a missing field, null, an object or an array, and reads only the top level", () => {
    expect(read("event", '{"id":1}')).toBeNull();
    expect(read("event", "{}")).toBeNull();
    expect(read("event", '{"event":null}')).toBeNull();
    expect(read("event", '{"event":{"a":1}}')).toBeNull();
    expect(read("event", '{"event":["a"]}')).toBeNull();
    expect(read("event", '{"nested":{"event":"no"}}')).toBeNull();
    expect(read("event", '{"eventx":"no","xevent":"no"}')).toBeNull();
  });

  it("reads a payload in the middle of a buffer, as NDJSON lines lie in a batch", () => {
    const b = bytes('{"event":"a"}\n{"event":"b"}\n');
    expect(fieldIn("event", b, 14, 27)).toBe("b");
  });

  it("agrees with JSON.parse on any object", () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const value = fc.oneof(scalar, fc.array(scalar), fc.dictionary(fc.string(), scalar));
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.constant("event"), fc.string()), value), fc.constantFrom("event", ""), (obj, name) => {
        const expected = (() => {
          const v = (obj as Record<string, unknown>)[name];
          if (!Object.hasOwn(obj, name)) return null;
          if (typeof v === "string") return v;
          if (typeof v === "boolean") return String(v);
          if (typeof v === "number") return JSON.stringify(v); // the digits as JSON.stringify wrote them
          return null;
        })();
        expect(read(name, JSON.stringify(obj))).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
