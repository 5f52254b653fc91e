// Payload lines and their prefixes (PARTITION_BY=version): stripped in place before objects, put back at a deadline.
import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { lineMeta, metaPrefix, PREFIX_END, partitionEnd, payloadStart, prefixLines, stripPrefixes } from "../../src/partition/line-prefix.ts";
import { eachLine } from "../../src/queue/batch.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const P = String.fromCharCode(PREFIX_END);

describe("line prefixes", () => {
  it("finds where a line's payload starts: past a prefix, or at once when there is none", () => {
    const s = enc(`version=1${P}{"a":1}\n{"version":"1"}\nvx\n`);
    const starts: number[] = [];
    eachLine(s, (start, end) => void starts.push(payloadStart(s, start, end) - start));
    expect(starts).toEqual([10, 0, 0]); // "vx" is no payload, and has no PREFIX_END: taken as it is
  });

  it("strips prefixes in place, lines without one kept, and gives back a batch without any as it is", () => {
    const batch = { ndjson: enc(`version=a${P}{"a":1}\n[2]\nversion=%C3%A9${P}"x"\n`), payloads: 3 };
    const buffer = batch.ndjson.buffer;
    const out = stripPrefixes(batch);
    expect(text(out.ndjson)).toBe('{"a":1}\n[2]\n"x"\n');
    expect(out.ndjson.buffer).toBe(buffer);
    expect(out.payloads).toBe(3);
    const plain = { ndjson: enc('{"a":1}\n'), payloads: 1 };
    expect(stripPrefixes(plain)).toBe(plain);
  });

  it("round-trips: lines prefixed again, then stripped, are what they were", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.json().map((j) => j.replaceAll("\n", " ")),
          { minLength: 1, maxLength: 20 },
        ),
        fc.stringMatching(/^version=[A-Za-z0-9_.%-]{1,20}$/),
        (lines, prefix) => {
          const ndjson = enc(lines.map((l) => `${l}\n`).join(""));
          const prefixed = prefixLines(ndjson, prefix);
          expect(text(prefixed)).toBe(lines.map((l) => `${prefix}${P}${l}\n`).join(""));
          expect(text(stripPrefixes({ ndjson: prefixed, payloads: lines.length }).ndjson)).toBe(text(ndjson));
        },
      ),
    );
  });
});

describe("metadata prefixes (FORMAT=parquet)", () => {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  it("carry when a payload was received and its collection's version, after its partition if it has one", () => {
    for (const partition of ["", "version=1.0"]) {
      for (const version of ["1.0", 'x"\u001e\u001f\\', "été"]) {
        const prefix = metaPrefix(1796283000250, version, partition);
        const line = enc(`${dec(prefix)}{"a":1}`);
        const from = payloadStart(line, 0, line.length);
        expect(dec(line.subarray(from))).toBe('{"a":1}');
        expect(lineMeta(line, 0, from)).toEqual({ receivedMs: 1796283000250n, version });
        expect(dec(line.subarray(0, partitionEnd(line, 0, from)))).toBe(partition);
      }
    }
    const plain = enc(`version=1.0${P}{"a":1}`);
    expect(lineMeta(plain, 0, payloadStart(plain, 0, plain.length))).toEqual({ receivedMs: null, version: null });
  });

  it("get the partition's name in front at a deadline, and lines that have it keep it once", () => {
    const meta = dec(metaPrefix(5, "1.0"));
    const out = prefixLines(enc(`${meta}{"a":1}\n{"b":2}\nversion=1.0${meta}{"c":3}\n`), "version=1.0");
    expect(text(out)).toBe(`version=1.0${meta}{"a":1}\nversion=1.0${P}{"b":2}\nversion=1.0${meta}{"c":3}\n`);
  });
});
