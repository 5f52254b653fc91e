import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { metaPrefix } from "../../src/partition/line-prefix.ts";
import {
  EMPTY,
  MISSING,
  type Partitioner,
  partitioner,
  partitionOf,
  safeValue,
  VALUE_MAX_BYTES,
  VERSION_FIELD,
  versionPrefixer,
} from "../../src/partition/partitions.ts";

const batchOf = (lines: string[]) => ({ ndjson: new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")), payloads: lines.length });
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
  const of = (split: Partitioner, line: string) => {
    const { ndjson } = batchOf([line]);
    return split.of(ndjson, 0, ndjson.length - 1);
  };

  it("names each payload's partition by its field: missing, null and containers go to __missing__", () => {
    const split = partitioner("event");
    const lines = [
      '{"event":"a","i":0}',
      '{"i":1}',
      '{"event":"b/c","i":2}',
      '{"event":7,"i":4}',
      '{"event":null}',
      '{"event":{"x":1}}',
      '{"event":""}',
    ];
    expect(lines.map((l) => of(split, l))).toEqual([
      "event=a",
      "event=__missing__",
      "event=b%2Fc",
      "event=7",
      "event=__missing__",
      "event=__missing__",
      "event=__empty__",
    ]);
  });

  it("tells whether a batch is all one partition, stopping at the first that differs", () => {
    const split = partitioner("event");
    expect(split.single(batchOf(['{"event":"a"}', '{"event":"\\u0061"}']))).toBe("event=a");
    expect(split.single(batchOf(['{"event":"a"}', '{"event":"b"}']))).toBeNull();
  });

  it("knows a value again by its bytes, whatever form it was sent in, and past its bound of known values", () => {
    const split = partitioner("event");
    expect(of(split, '{"event":"a"}')).toBe("event=a");
    expect(of(split, '{"event":"\\u0061"}')).toBe("event=a"); // other bytes, the same value
    expect(of(split, '{"event":"a"}')).toBe("event=a");
    for (let i = 0; i < 25_000; i++) expect(of(split, `{"event":"v${i}"}`)).toBe(`event=v${i}`);
    const long = "x".repeat(5_000);
    expect(of(split, `{"event":"${long}"}`)).toBe(`event=${safeValue(long)}`);
    expect(of(split, `{"event":"${long}"}`)).toBe(`event=${safeValue(long)}`);
    expect(of(split, '{"event":[1,2]}')).toBe("event=__missing__");
  });

  it("with `version`, names the partition the line's prefix carries: the envelope version the HTTP thread put there", () => {
    const prefix = versionPrefixer();
    const split = partitioner(VERSION_FIELD);
    const line = (version: string, payload: string) => `${text(prefix(version))}${payload}`;
    for (const version of ["1.0", "a/b", "..", "été", "", "x".repeat(1024)]) {
      expect(of(split, line(version, '{"version":"not this one"}'))).toBe(partitionOf("version", version));
    }
    expect(prefix("1.0")).toBe(prefix("1.0")); // kept
    expect(of(split, '{"version":"2"}')).toBe("version=__missing__"); // no prefix: a spool from before PARTITION_BY=version
    // A field partitioner reads the payload past a prefix.
    expect(of(partitioner("event"), line("1.0", '{"event":"boot"}'))).toBe("event=boot");
  });
});

describe("partitioner(version) with FORMAT=parquet's metadata", () => {
  it("reads the partition in front of the metadata, and none from metadata alone", () => {
    const split = partitioner(VERSION_FIELD);
    const line = (prefix: Uint8Array) => new Uint8Array([...prefix, ...new TextEncoder().encode('{"a":1}')]);
    const both = line(metaPrefix(5, "2/beta", partitionOf(VERSION_FIELD, "2/beta")));
    expect(split.of(both, 0, both.length)).toBe("version=2%2Fbeta");
    const metaOnly = line(metaPrefix(5, "2/beta"));
    expect(split.of(metaOnly, 0, metaOnly.length)).toBe(partitionOf(VERSION_FIELD, null));
  });
});
