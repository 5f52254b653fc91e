// A real full disk for tests needs a small tmpfs, which needs mount(8) rights: whether this
// machine gives them, probed once, and the reason a test that needs one says when it is skipped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const canMountTmpfs = (() => {
  const dir = mkdtempSync(join(tmpdir(), "mount-probe-"));
  try {
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).exitCode !== 0) return false;
    Bun.spawnSync(["umount", dir]);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** What the title of a test that needs a tmpfs says when it is skipped. */
export const noTmpfs = canMountTmpfs ? "" : " (skipped: this machine does not let the tests mount a tmpfs)";
