import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { EMPTY, MISSING, partitioner, partitionOf, safeValue, VALUE_MAX_BYTES } from "../../src/upload/partitions.ts";

const ndjson = (lines: string[]) => ({ ndjson: new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")), payloads: lines.length });
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("safeValue", () => {
  const hostile = ["a/b", "..", ".", "a=b", "x y", "été", "日本", "😀", "%41", "a\\b", "a\nb", "?#[]{}^|<>`~\"'*:;,&$@+!", "-_.", "A9"];

  it("round-trips hostile values through percent-decoding, as Hive, Spark and DuckDB read keys", () => {
    for (const v of hostile) expect(decodeURIComponent(safeValue(v))).toBe(v);
  });

  it("leaves only [A-Za-z0-9_.-] and escapes, so the value is one key level and one name=value pair", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (v) => {
        expect(safeValue(v)).toMatch(/^([A-Za-z0-9_.-]|%[0-9A-F]{2})+$/);
      }),
    );
    for (const v of hostile) expect(safeValue(v)).not.toMatch(/[/= ]/);
  });

  it("caps long values at VALUE_MAX_BYTES, keeping their start and telling different ones apart", () => {
    const a = "é".repeat(512); // 1 KiB of UTF-8, 3 KiB encoded
    const b = `${"é".repeat(511)}e`;
    expect(safeValue(a).length).toBeLessThanOrEqual(VALUE_MAX_BYTES);
    expect(safeValue(a)).toMatch(/^(%C3%A9)+_[0-9a-f]{16}$/); // cut between characters
    expect(decodeURIComponent(safeValue(`${"x".repeat(100)}😀😀`)).startsWith("x".repeat(100))).toBe(true);
    expect(safeValue(a)).not.toBe(safeValue(b));
    expect(safeValue("x".repeat(VALUE_MAX_BYTES))).toBe("x".repeat(VALUE_MAX_BYTES));
    expect(safeValue("x".repeat(VALUE_MAX_BYTES + 1))).toHaveLength(VALUE_MAX_BYTES);
  });

  it("names the missing and the empty value", () => {
    expect(safeValue(null)).toBe(MISSING);
    expect(safeValue("")).toBe(EMPTY);
    expect(partitionOf("event", "boot")).toBe("event=boot");
  });
});

describe("partitioner", () => {
  it("splits a batch into each partition's payloads, in the order they came", () => {
    const split = partitioner("event");
    const lines = ['{"event":"a","i":0}', '{"i":1}', '{"event":"b","i":2}', '{"event":"a","i":3}', '{"event":7,"i":4}'];
    const groups = split(ndjson(lines), (p) => p);
    expect(groups.map((g) => [g.partition, text(g.batch.ndjson), g.batch.payloads])).toEqual([
      ["event=a", `${lines[0]}\n${lines[3]}\n`, 2],
      ["event=__missing__", `${lines[1]}\n`, 1],
      ["event=b", `${lines[2]}\n`, 1],
      ["event=7", `${lines[4]}\n`, 1],
    ]);
  });

  it("sends a payload where `admit` says: its partition, or the overflow", () => {
    const split = partitioner("event");
    const lines = ['{"event":"a"}', '{"event":"b"}', '{"event":"c"}', '{"event":"a"}'];
    const groups = split(ndjson(lines), (p) => (p === "event=a" ? p : "event=__other__"));
    expect(groups.map((g) => [g.partition, g.batch.payloads])).toEqual([
      ["event=a", 2],
      ["event=__other__", 2],
    ]);
  });

  it("gives a batch of one partition back whole, without copying it", () => {
    const batch = ndjson(['{"event":"a"}', '{"event":"a"}']);
    const [only] = partitioner("event")(batch, (p) => p);
    expect(only!.batch).toBe(batch);
  });

  it("knows a value again by its bytes, whatever form it was sent in, and past its bound of known values", () => {
    const split = partitioner("event");
    const one = (line: string) => split(ndjson([line]), (p) => p)[0]!.partition;
    expect(one('{"event":"a"}')).toBe("event=a");
    expect(one('{"event":"\\u0061"}')).toBe("event=a"); // other bytes, the same value
    expect(one('{"event":"a"}')).toBe("event=a");
    for (let i = 0; i < 25_000; i++) expect(one(`{"event":"v${i}"}`)).toBe(`event=v${i}`);
    const long = "x".repeat(5_000);
    expect(one(`{"event":"${long}"}`)).toBe(`event=${safeValue(long)}`);
    expect(one(`{"event":"${long}"}`)).toBe(`event=${safeValue(long)}`);
    expect(one('{"event":[1,2]}')).toBe("event=__missing__");
  });
});
