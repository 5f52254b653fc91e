import { describe, expect, it } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame } from "../../src/spool/frame.ts";
import { recoverSegments, segmentName } from "../../src/spool/recovery.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("recoverSegments", () => {
  it("seals open segments, orders them, counts their payloads from the frame headers, and goes on from the last sequence", () => {
    const dir = mkdtempSync(join(tmpdir(), "recovery-"));
    try {
      writeFileSync(
        join(dir, segmentName(7, 1_000, "seg")),
        new Uint8Array([...encodeFrame(enc('{"a":1}\n{"a":2}\n'), 2), ...encodeFrame(enc('{"a":3}\n'), 1)]),
      );
      writeFileSync(join(dir, segmentName(3, 900, "open")), encodeFrame(enc('{"b":1}\n'), 1));
      appendFileSync(join(dir, segmentName(3, 900, "open")), encodeFrame(enc('{"torn":1}\n'), 1).subarray(0, 9)); // a crash mid-write
      writeFileSync(join(dir, "instance-id"), "abc");
      const { segments, nextSeq } = recoverSegments(dir);
      expect(segments.map((s) => [s.seq, s.payloads])).toEqual([
        [3, 1],
        [7, 3],
      ]);
      expect(nextSeq).toBe(8);
      expect(readdirSync(dir).filter((f) => f.endsWith(".open"))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
