// `s3-ingest drain-spool`: a spool whose process is gone for good (a StatefulSet's scaled-in
// pod, deploy/kubernetes/spool-drain) is uploaded whole by a process that serves no HTTP, then
// exits 0 with the spool empty. Run against the source and the binary, with a real S3 server.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { leftInSpool } from "../../src/spool/recovery.ts";
import { collections, deliveryReport, postAll } from "../support/load.ts";
import { startS3, type TestS3 } from "../support/s3.ts";
import { ServiceProcess, startService } from "../support/service-process.ts";
import { onTarget, type Target, targets } from "../support/targets.ts";
import { tempDir } from "../support/temp-dir.ts";

setDefaultTimeout(90_000);

const drainer = async (target: Target, env: Record<string, string>) =>
  new ServiceProcess([...(await target.command()), "drain-spool"], { ...target.env, ...env });

/** A disk-mode service on `spool` acknowledges `n` collections while the store is down, then is killed with SIGKILL: all of it is in the spool. */
async function leaveSpool(s3: TestS3, spool: string, target: Target, n: number): Promise<string[]> {
  const env = { ...s3.env, DURABILITY: "disk", SPOOL_DIR: spool };
  await using service = await startService(env, target);
  await s3.stop();
  const { acknowledged } = await postAll(service, collections("left", n, 20), 16);
  service.signal("SIGKILL");
  await service.exited();
  await s3.start();
  return acknowledged;
}

for (const target of targets()) {
  const on = onTarget(target);
  describe.skipIf(on.skip)(`drain-spool ${on.label}`, () => {
    it("uploads every payload a killed disk-mode process left in its spool, once, and exits 0 with the spool empty", async () => {
      await using s3 = await startS3();
      using spool = tempDir("s3-ingest-drain-");
      const acknowledged = await leaveSpool(s3, spool.path, target, 300);
      expect(acknowledged.length).toBe(300 * 20);
      expect(leftInSpool(spool.path).length).toBeGreaterThan(0);
      expect(await s3.keys()).toEqual([]);

      await using drain = await drainer(target, { ...s3.env, DURABILITY: "disk", SPOOL_DIR: spool.path });
      expect(await drain.exited()).toBe(0);
      expect(drain.logs.some((l) => l.msg === "listening")).toBe(false); // no HTTP
      expect(drain.logs.at(-1)).toMatchObject({ level: "info", msg: "spool drained; exiting", payloads_written: acknowledged.length });
      expect(leftInSpool(spool.path)).toEqual([]);
      const report = deliveryReport(
        (await s3.lines()).map((l) => JSON.parse(l).id as string),
        acknowledged,
      );
      expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    });

    it("exits 0 at once on an empty spool, and 2 on a spool that a running service holds", async () => {
      await using s3 = await startS3();
      using spool = tempDir("s3-ingest-drain-");
      const env = { ...s3.env, DURABILITY: "disk", SPOOL_DIR: spool.path };
      await using empty = await drainer(target, env);
      expect(await empty.exited()).toBe(0);
      expect(empty.logs.at(-1)).toMatchObject({ msg: "spool drained; exiting", payloads_written: 0 });

      await using service = await startService(env, target);
      await using refused = await drainer(target, env);
      expect(await refused.exited()).toBe(2);
      expect(refused.stderr.join("")).toMatch(/^s3-ingest drain-spool: cannot drain: .*SPOOL_DIR/);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
    });
  });
}
