// The fault suite: each scenario posts collections of payloads with unique ids under a fault,
// then reads the bucket back and reports acknowledged / landed / missing / duplicate counts.
// Missing must be 0 in every one.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { idOf } from "../support/collections.ts";
import { collections, deliveryReport, postAll } from "../support/load.ts";
import { startS3 } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";
import { waitUntil } from "../support/wait.ts";

// Real processes and a real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(90_000);

const spoolDir = () => {
  const path = mkdtempSync(join(tmpdir(), "s3-ingest-spool-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
};

describe("fault suite", () => {
  it("3. kill -9 in the middle of a load in disk mode: after a restart every acknowledged payload lands, once", async () => {
    await using s3 = await startS3();
    using spool = spoolDir();
    const env = { ...s3.env, DURABILITY: "disk", SPOOL_DIR: spool.path, BATCH_MAX_WAIT_MS: "200", BATCH_MAX_RECORDS: "500" };
    const first = await startService(env);
    const load = postAll(first, collections("crash", 600, 10), 16);
    await waitUntil(async () => (await s3.objects()).length >= 2, "some objects written before the crash");
    first.signal("SIGKILL");
    const { acknowledged } = await load;
    await first[Symbol.asyncDispose]();
    expect(acknowledged.length).toBeGreaterThan(0);

    await using second = await startService(env);
    await waitUntil(async () => (await fetch(`${second.url}/metrics`).then((r) => r.text())).includes("s3_ingest_spool_segments 0"), "the spool to empty", {
      timeoutMs: 30_000,
    });
    second.signal("SIGTERM");
    expect(await second.exited()).toBe(0);
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 3 (kill -9, disk mode):", report);
    expect(report.missing).toBe(0);
    // Segments re-uploaded after the crash overwrite the same keys.
    expect(report.duplicates).toBe(0);
  });

  it("4. SIGTERM during a load in memory mode with the store down: the next start, with the store up, lands everything", async () => {
    await using s3 = await startS3();
    using spool = spoolDir();
    const env = { ...s3.env, SPOOL_DIR: spool.path, SHUTDOWN_TIMEOUT_MS: "500", RETRY_BASE_MS: "20", RETRY_MAX_MS: "100", MAX_QUEUE: "5000" };
    const first = await startService(env);
    await s3.stop();
    const load = postAll(first, collections("down", 400, 10), 16);
    await waitUntil(() => Promise.resolve(first.logs.some((l) => l.msg === "upload failed; retrying")), "uploads to fail");
    first.signal("SIGTERM");
    const { acknowledged } = await load;
    expect(await first.exited()).toBe(0);
    expect(first.logs.find((l) => l.msg.startsWith("shutdown deadline passed"))).toMatchObject({ level: "warn" });
    await first[Symbol.asyncDispose]();
    expect(acknowledged.length).toBeGreaterThan(0);

    await s3.start();
    await using second = await startService(env);
    await waitUntil(async () => new Set((await s3.lines()).map(idOf)).size >= acknowledged.length, "the saved payloads to land", { timeoutMs: 30_000 });
    second.signal("SIGTERM");
    expect(await second.exited()).toBe(0);
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 4 (SIGTERM, memory mode, store down):", report);
    expect(report.missing).toBe(0);
  });
});
