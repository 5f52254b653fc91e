// The service sets Bun's allocator up for itself (src/allocator.ts): it replaces itself once,
// in place, with MIMALLOC_PURGE_DELAY set, unless the operator set it.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";

setDefaultTimeout(60_000);

const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );

for (const target of targets()) {
  const on = onTarget(target, { deno: "MIMALLOC_PURGE_DELAY is Bun's allocator's setting" });
  describe.skipIf(on.skip)(`allocator settings ${on.label}`, () => {
    it("runs with MIMALLOC_PURGE_DELAY=1000 in the very process that was started, so signals still reach it", async () => {
      await using service = await startService({}, target);
      expect(environOf(service.proc.pid).MIMALLOC_PURGE_DELAY).toBe("1000");
      expect((await service.post('{"version":"1","token":"t","data":[{"a":1}]}')).status).toBe(200);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
    });

    it("keeps the operator's MIMALLOC_PURGE_DELAY", async () => {
      await using service = await startService({ MIMALLOC_PURGE_DELAY: "250" }, target);
      expect(environOf(service.proc.pid).MIMALLOC_PURGE_DELAY).toBe("250");
    });
  });
}
