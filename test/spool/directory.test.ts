import { describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Spool, type SpoolOptions } from "../../src/spool/spool.ts";

const tempDir = () => {
  const path = mkdtempSync(join(tmpdir(), "spool-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
};
const options = (dir: string, o: Partial<SpoolOptions> = {}): SpoolOptions => ({
  dir,
  maxBytes: 1 << 20,
  segmentMaxBytes: 1 << 16,
  segmentMaxPayloads: 1000,
  segmentMaxAgeMs: 60_000,
  ...o,
});

describe("the spool directory", () => {
  it("refuses a spool directory another live process holds, and takes over one whose holder is gone", () => {
    using dir = tempDir();
    const other = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(join(dir.path, "lock"), String(other.pid));
      expect(() => new Spool(options(dir.path))).toThrow(`is in use by process ${other.pid}`);
    } finally {
      other.kill();
    }
    writeFileSync(join(dir.path, "lock"), "999999999");
    expect(() => new Spool(options(dir.path))).not.toThrow();
  });
});
