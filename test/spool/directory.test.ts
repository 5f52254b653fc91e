import { describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Spool } from "../../src/spool/spool.ts";
import { smallSpoolOptions } from "../support/spool-options.ts";
import { tempDir as makeTempDir } from "../support/temp-dir.ts";

const tempDir = () => makeTempDir("spool-");
const options = smallSpoolOptions;

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
