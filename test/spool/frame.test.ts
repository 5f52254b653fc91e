import { describe, expect, it } from "bun:test";
import { decodeFrames, encodeFrame } from "../../src/spool/frame.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("spool frames", () => {
  it("round-trips collections and counts their payloads", () => {
    const data = new Uint8Array([...encodeFrame(enc('{"a":1}\n{"b":2}\n'), 2), ...encodeFrame(enc('{"c":3}\n'), 1)]);
    const decoded = decodeFrames(data);
    expect(decoded).toMatchObject({ payloads: 3, frames: 2, badTailBytes: 0 });
    expect(dec(decoded.ndjson)).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(decoded.ndjson.buffer).toBe(data.buffer); // decoded in place: no copy
  });

  it("stops at a torn frame and reports its bytes", () => {
    const whole = encodeFrame(enc('{"a":1}\n'), 1);
    const torn = encodeFrame(enc('{"b":2}\n'), 1).subarray(0, 15);
    const out = decodeFrames(new Uint8Array([...whole, ...torn]));
    expect(out).toMatchObject({ payloads: 1, frames: 1, badTailBytes: 15 });
  });

  it("stops at a frame whose checksum does not match", () => {
    const bad = encodeFrame(enc('{"b":2}\n'), 1);
    bad[14] = bad[14]! ^ 0xff;
    const out = decodeFrames(new Uint8Array([...encodeFrame(enc('{"a":1}\n'), 1), ...bad]));
    expect(out).toMatchObject({ payloads: 1, badTailBytes: bad.length });
  });
});
