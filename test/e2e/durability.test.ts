// The fault suite: each scenario posts collections of payloads with unique ids under a fault,
// then reads the bucket back and reports acknowledged / landed / missing / duplicate counts.
// Missing must be 0 in every one.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { leftInSpool } from "../../src/spool/recovery.ts";
import { collection, idOf, ids } from "../support/collections.ts";
import { freePort, HaProxy, haveHaproxy } from "../support/haproxy.ts";
import { collections, deliveryReport, noisyCollections, postAll } from "../support/load.ts";
import { hasDuckdb, parquetIds } from "../support/parquet.ts";
import { hasMoto, startMoto, startS3, type TestS3 } from "../support/s3.ts";
import { S3Proxy } from "../support/s3-proxy.ts";
import type { ServiceProcess } from "../support/service-process.ts";
import { startService } from "../support/service-process.ts";
import { sourceTarget } from "../support/targets.ts";
import { tempDir } from "../support/temp-dir.ts";
import { canMountTmpfs, noTmpfs } from "../support/tmpfs.ts";
import { waitUntil } from "../support/wait.ts";

// Real processes and a real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(90_000);

const spoolDir = () => tempDir("s3-ingest-spool-");

/**
 * Posts `bodies` to a memory-mode service (the defaults, a spool dir, `settings`) whose store is down, SIGTERMs it (its deadline saves
 * what is left to the spool), then starts it again with the store up, and waits until every
 * acknowledged payload landed and the second process drained. Returns what was acknowledged.
 */
/** FORMAT=parquet with the test payloads' fields (support/collections.ts): `nested` goes to _extra. */
const PARQUET = { FORMAT: "parquet", PARQUET_COLUMNS: "id:string,ts:timestamp_ms,kind:string,os:string" };

async function saveAtDeadlineThenRestart(s3: TestS3, settings: Record<string, string>, bodies: { ids: string[]; body: string }[]): Promise<string[]> {
  using spool = spoolDir();
  const env = { ...s3.env, SPOOL_DIR: spool.path, SHUTDOWN_TIMEOUT_MS: "500", RETRY_BASE_MS: "20", RETRY_MAX_MS: "100", ...settings };
  await using first = await startService(env); // disposed early below too; this covers a failed assertion
  await s3.stop();
  // The payloads rest in the open object (OBJECT_MAX_AGE_MS is a minute) until SIGTERM completes it, which fails.
  const { acknowledged } = await postAll(first, bodies, 16);
  first.signal("SIGTERM");
  expect(await first.exited()).toBe(0);
  expect(first.logs.some((l) => l.msg === "upload failed; retrying")).toBe(true);
  expect(first.logs.find((l) => l.msg.startsWith("shutdown deadline passed"))).toMatchObject({ level: "warn" });
  await first[Symbol.asyncDispose]();
  expect(acknowledged.length).toBeGreaterThan(0);

  await s3.start();
  await using second = await startService(env);
  await waitUntil(async () => new Set(await landedIds(s3, settings)).size >= acknowledged.length, "the saved payloads to land", {
    timeoutMs: 30_000,
  });
  second.signal("SIGTERM");
  expect(await second.exited()).toBe(0);
  return acknowledged;
}

/**
 * `n` collections of 10 payloads whose `event` is one of a few values, hostile ones and none
 * included, and whose envelope versions take four values; and the partition level of each id
 * under PARTITION_BY=event and =version.
 */
function eventCollections(prefix: string, n: number) {
  const events = ["a", "b", "c/d", "é", undefined];
  const levelOf = { event: new Map<string, string>(), version: new Map<string, string>() };
  const bodies = Array.from({ length: n }, (_, i) => {
    const version = `${i % 4}.0`;
    const data = Array.from({ length: 10 }, (_, j) => {
      const id = `${prefix}-${i}-${j}`;
      const event = events[(i + j) % events.length];
      levelOf.event.set(id, `event=${event ?? "__missing__"}`);
      levelOf.version.set(id, `version=${version}`);
      return event === undefined ? { id } : { id, event };
    });
    return { ids: data.map((d) => d.id), body: JSON.stringify({ version, token: "t", data }) };
  });
  return { bodies, levelOf };
}

/** Every payload of `objects` is under its partition level (or one of `alsoAllowed`). */
function expectInPartitions(objects: { key: string; lines: string[] }[], levelOf: Map<string, string>, alsoAllowed: string[] = []) {
  for (const o of objects) {
    const level = decodeURIComponent(o.key.split("/")[1]!);
    for (const line of o.lines) expect([levelOf.get(idOf(line)), ...alsoAllowed]).toContain(level);
  }
}

/**
 * Posts `bodies` to a disk-mode service (`settings` added), kills it with SIGKILL once `objects`
 * objects are written and in the middle of the load, starts it again on the same spool, waits
 * until every acknowledged payload landed, and SIGTERMs it (it drains). Returns what was
 * acknowledged and what the killed process left in the spool.
 */
/** The ids of the payloads in the store: NDJSON lines, or Parquet rows as DuckDB reads them. */
const landedIds = async (s3: TestS3, settings: Record<string, string>): Promise<string[]> =>
  settings.FORMAT === "parquet" ? parquetIds(await s3.objects()) : (await s3.lines()).map(idOf);

async function killMidLoadThenRestart(s3: TestS3, settings: Record<string, string>, bodies: { ids: string[]; body: string }[], objects: number) {
  using spool = spoolDir();
  const env = { ...s3.env, DURABILITY: "disk", SPOOL_DIR: spool.path, BATCH_MAX_WAIT_MS: "200", BATCH_MAX_PAYLOADS: "500", ...settings };
  await using first = await startService(env); // disposed early below too; this covers a failed assertion
  const progress = { answered: 0 };
  // Far more load than is answered before the kill (posts after it fail fast): a fast machine still
  // kills in the middle of it.
  const load = postAll(first, bodies, 16, progress);
  await waitUntil(async () => progress.answered >= 400 && (await s3.keys()).length >= objects, "some objects written before the crash");
  first.signal("SIGKILL");
  expect(progress.answered).toBeLessThan(bodies.length * 0.9); // killed in the middle of the load
  const { acknowledged } = await load;
  await first[Symbol.asyncDispose]();
  expect(acknowledged.length).toBeGreaterThan(0);
  const left = leftInSpool(spool.path);

  await using second = await startService(env);
  await waitUntil(async () => new Set(await landedIds(s3, settings)).size >= acknowledged.length, "every acknowledged payload to land", {
    timeoutMs: 30_000,
  });
  second.signal("SIGTERM");
  expect(await second.exited()).toBe(0);
  expect(leftInSpool(spool.path)).toEqual([]);
  return { acknowledged, left };
}

// Every scenario runs the source with two HTTP threads (support/targets.ts), which ready() checks.
describe(`fault suite, HTTP_THREADS=${sourceTarget.env.HTTP_THREADS}`, () => {
  it("1. the store goes down for a stretch in the middle of a load, then comes back", async () => {
    await using s3 = await startS3();
    await using service = await startService({
      ...s3.env,
      BATCH_MAX_WAIT_MS: "50",
      OBJECT_MAX_AGE_MS: "50",
      BATCH_MAX_PAYLOADS: "200",
      RETRY_BASE_MS: "20",
      RETRY_MAX_MS: "200",
    });
    // Load runs before, during and after the outage. Each phase is posted by the test itself, so a fast
    // machine cannot finish the whole load before the store goes down (it did once, in CI).
    const before = postAll(service, collections("outage-before", 300, 10), 8);
    await waitUntil(async () => (await s3.keys()).length >= 1, "uploads before the outage");
    await s3.stop();
    const during = await postAll(service, collections("outage-during", 300, 10), 8);
    await waitUntil(() => Promise.resolve(service.logs.some((l) => l.msg === "upload failed; retrying")), "uploads to fail");
    await s3.start();
    const after = await postAll(service, collections("outage-after", 200, 10), 8);
    const acknowledged = [...(await before).acknowledged, ...during.acknowledged, ...after.acknowledged];
    expect(during.acknowledged.length).toBeGreaterThan(0); // the outage did not refuse the load: it queued it
    service.signal("SIGTERM");
    expect(await service.exited()).toBe(0);
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 1 (store down, then back):", report);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
  });

  it("2. the store answers 500 and 503 SlowDown to a share of PUTs and hangs on some", async () => {
    await using s3 = await startS3();
    // Faults by PUT count, not by chance: the first three PUTs get one each, so every fault fires
    // however few store calls the load makes (large objects make few; a retry is a PUT too), and
    // after them one PUT in four gets the next in turn.
    const faults: ("hang" | { status: number; code: string })[] = ["hang", { status: 503, code: "SlowDown" }, { status: 500, code: "InternalError" }];
    let puts = 0;
    const fault = (_: number, req: Request) => {
      if (req.method !== "PUT") return "pass";
      const n = puts++;
      if (n < faults.length) return faults[n]!;
      return n % 4 === 0 ? faults[(n / 4) % faults.length]! : "pass";
    };
    await using proxy = new S3Proxy(() => s3.endpoint, fault);
    await using service = await startService({
      ...s3.env,
      S3_ENDPOINT: proxy.endpoint,
      BATCH_MAX_WAIT_MS: "50",
      OBJECT_MAX_AGE_MS: "50",
      BATCH_MAX_PAYLOADS: "200",
      RETRY_BASE_MS: "20",
      RETRY_MAX_MS: "200",
      S3_REQUEST_TIMEOUT_MS: "500",
    });
    const { acknowledged } = await postAll(service, collections("flaky", 500, 10), 8);
    service.signal("SIGTERM");
    expect(await service.exited()).toBe(0);
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 2 (500, 503 SlowDown, hangs):", report, { ...proxy.injected });
    expect(Object.keys(proxy.injected).sort()).toEqual(["InternalError", "SlowDown", "hang"]); // each fired at least once
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    const metrics = service.logs.filter((l) => l.msg === "upload failed; retrying").map((l) => l.error_type);
    expect(new Set(metrics)).toEqual(new Set(["throttled", "transient", "timeout"]));
  });

  it("3. kill -9 in the middle of a load in disk mode: after a restart every acknowledged payload lands, once", async () => {
    await using s3 = await startS3();
    const { acknowledged } = await killMidLoadThenRestart(s3, { OBJECT_MAX_AGE_MS: "200" }, collections("crash", 10_000, 10), 1);
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 3 (kill -9, disk mode):", report);
    expect(report.missing).toBe(0);
    // Segments re-uploaded after the crash overwrite the same keys.
    expect(report.duplicates).toBe(0);
  });

  for (const field of ["event", "version"] as const) {
    it(`3b. the same with PARTITION_BY=${field}: nothing lost, nothing written twice, every payload in its value's partition`, async () => {
      await using s3 = await startS3();
      const { bodies, levelOf } = eventCollections("crash-part", 10_000);
      // Objects of several segments' shares, some written before the kill.
      const { acknowledged, left } = await killMidLoadThenRestart(s3, { PARTITION_BY: field, OBJECT_MAX_AGE_MS: "500" }, bodies, 3);
      expect(left.some((f) => f.endsWith(".routes"))).toBe(true); // segments whose shares were on their way
      const objects = await s3.objects();
      const report = deliveryReport(
        objects.flatMap((o) => o.lines.map(idOf)),
        acknowledged,
      );
      console.log(`scenario 3b (kill -9, disk mode, PARTITION_BY=${field}):`, report, {
        objects: objects.length,
        left_by_the_crash: Object.groupBy(left, (f) => f.split(".").at(-1)!),
      });
      expect(report).toMatchObject({ missing: 0, duplicates: 0 });
      expectInPartitions(objects, levelOf[field]);
    });
  }

  it.skipIf(!hasDuckdb)(
    `3c. the same with FORMAT=parquet: every acknowledged payload lands once, in objects DuckDB reads${hasDuckdb ? "" : " (skipped: python3 with duckdb is not installed; .ci/run installs it)"}`,
    async () => {
      await using s3 = await startS3();
      const { acknowledged } = await killMidLoadThenRestart(s3, { ...PARQUET, OBJECT_MAX_AGE_MS: "200" }, collections("crash-pq", 10_000, 10), 1);
      const objects = await s3.objects();
      expect(objects.every((o) => o.key.endsWith(".parquet"))).toBe(true);
      const report = deliveryReport(parquetIds(objects), acknowledged);
      console.log("scenario 3c (kill -9, disk mode, Parquet):", report);
      expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    },
  );

  it("4. SIGTERM during a load in memory mode with the store down: the next start, with the store up, lands everything", async () => {
    await using s3 = await startS3();
    const acknowledged = await saveAtDeadlineThenRestart(s3, { MAX_QUEUE_PAYLOADS: "5000" }, collections("down", 400, 10));
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 4 (SIGTERM, memory mode, store down):", report);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
  });

  it("4b. the same with PARTITION_BY and more values than PARTITION_MAX_ACTIVE: every payload lands once, in its partition or the overflow", async () => {
    await using s3 = await startS3();
    const { bodies, levelOf } = eventCollections("part", 300);
    const acknowledged = await saveAtDeadlineThenRestart(s3, { PARTITION_BY: "event", PARTITION_MAX_ACTIVE: "3" }, bodies);
    const objects = await s3.objects();
    const report = deliveryReport(
      objects.flatMap((o) => o.lines.map(idOf)),
      acknowledged,
    );
    console.log("scenario 4b (SIGTERM, memory mode, store down, partitions):", report);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    expectInPartitions(objects, levelOf.event, ["event=__other__"]);
  });

  it.skipIf(!hasDuckdb)(
    `4c. the same with FORMAT=parquet: row groups not uploaded go back to NDJSON in the spool, and the next start lands them once${hasDuckdb ? "" : " (skipped: python3 with duckdb is not installed; .ci/run installs it)"}`,
    async () => {
      await using s3 = await startS3();
      const acknowledged = await saveAtDeadlineThenRestart(s3, { ...PARQUET, MAX_QUEUE_PAYLOADS: "5000" }, collections("down-pq", 400, 10));
      const report = deliveryReport(parquetIds(await s3.objects()), acknowledged);
      console.log("scenario 4c (SIGTERM, memory mode, store down, Parquet):", report);
      expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    },
  );

  it.skipIf(!haveHaproxy)("5. three instances behind HAProxy in disk mode, one killed with kill -9 mid-load and restarted", async () => {
    await using s3 = await startS3();
    using spools = spoolDir();
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    const envFor = (i: number) => ({
      ...s3.env,
      DURABILITY: "disk",
      PORT: String(ports[i]),
      SPOOL_DIR: join(spools.path, `instance-${i}`),
      BATCH_MAX_WAIT_MS: "200",
      OBJECT_MAX_AGE_MS: "200",
      BATCH_MAX_PAYLOADS: "500",
    });
    const instances = await Promise.all([0, 1, 2].map((i) => startService(envFor(i))));
    await using lb = await new HaProxy().start(ports);
    try {
      const progress = { answered: 0 };
      const load = postAll(lb, collections("lb", 3_000, 10), 16, progress);
      await waitUntil(() => progress.answered >= 600, "a fifth of the load");
      instances[1]!.signal("SIGKILL");
      expect(progress.answered).toBeLessThan(2_000); // killed in the middle of the load
      await instances[1]!.exited();
      instances[1] = await startService(envFor(1)); // the same spool: it uploads what the dead one left
      const { acknowledged, statuses } = await load;
      for (const instance of instances) instance.signal("SIGTERM");
      expect(await Promise.all(instances.map((i) => i.exited()))).toEqual([0, 0, 0]);
      const objects = await s3.objects();
      const report = deliveryReport(objects.flatMap((o) => o.lines).map(idOf), acknowledged);
      console.log("scenario 5 (3 instances behind HAProxy, one kill -9):", report, statuses);
      expect(report.missing).toBe(0);
      // Duplicates are allowed here (at least once): HAProxy retries a request whose instance died
      // after its fsync but before its answer, so that collection is in two spools.
      // Each spool names its objects with its own id: the instances' keys never meet.
      const ownIds = [0, 1, 2].map((i) => readFileSync(join(spools.path, `instance-${i}`, "instance-id"), "utf8").trim());
      expect(new Set(ownIds).size).toBe(3);
      const instanceOf = (key: string) => key.split("/").at(-1)!.split("-")[1]!;
      const keyIds = new Set(objects.map((o) => instanceOf(o.key)));
      expect([...keyIds].every((id) => ownIds.includes(id))).toBe(true);
      // And so the duplicates are HAProxy's retries only: no instance wrote a payload twice, the restarted one included.
      const holders = new Map<string, string[]>();
      for (const o of objects) for (const line of o.lines) holders.set(idOf(line), [...(holders.get(idOf(line)) ?? []), instanceOf(o.key)]);
      const twiceByOne = [...holders].filter(([, instances]) => new Set(instances).size < instances.length);
      expect(twiceByOne).toEqual([]);
    } finally {
      for (const instance of instances) await instance[Symbol.asyncDispose]();
    }
  });

  /** Posts one collection at a time until one is refused; returns the acknowledged ids and the refusal. */
  async function fillUntilRefused(service: ServiceProcess, prefix: string) {
    const acknowledged: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const batch = ids(`${prefix}-${i}`, 10);
      const res = await service.post(collection(batch));
      if (res.status !== 200) return { acknowledged, status: res.status, body: (await res.json()) as { error: string } };
      acknowledged.push(...batch);
    }
    throw new Error("the spool never filled");
  }

  /** After the store comes back and the spool drains, posts are accepted again. */
  async function recovers(service: ServiceProcess, prefix: string): Promise<string[]> {
    const batch = ids(prefix, 10);
    await waitUntil(async () => (await service.post(collection(batch))).status === 200, "posts to be accepted again", {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    return batch;
  }

  it("6a. the spool reaches SPOOL_MAX_BYTES: 503 QUEUE_FULL, nothing acknowledged lost, and it recovers when space frees", async () => {
    await using s3 = await startS3();
    using spool = spoolDir();
    await using service = await startService({
      ...s3.env,
      DURABILITY: "disk",
      SPOOL_DIR: spool.path,
      SPOOL_MAX_BYTES: "65536",
      BATCH_MAX_WAIT_MS: "100",
      OBJECT_MAX_AGE_MS: "100",
      RETRY_MAX_MS: "100",
    });
    await s3.stop();
    const { acknowledged, status, body } = await fillUntilRefused(service, "full");
    expect({ status, error: body.error }).toEqual({ status: 503, error: "QUEUE_FULL" });
    await s3.start();
    acknowledged.push(...(await recovers(service, "after")));
    service.signal("SIGTERM");
    expect(await service.exited()).toBe(0);
    const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
    console.log("scenario 6a (SPOOL_MAX_BYTES):", report);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
  });

  // A real full disk needs a small tmpfs, which needs mount(8) rights; where there are none the
  // scenario is skipped and says so (6a covers SPOOL_MAX_BYTES).
  it.skipIf(!canMountTmpfs)(
    `6b. the spool's disk fills for real (ENOSPC on a small tmpfs): 503, an ERROR log, nothing acknowledged lost, recovery${noTmpfs}`,
    async () => {
      using spool = spoolDir();
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", spool.path]).exitCode).toBe(0);
      try {
        await using s3 = await startS3();
        await using service = await startService({
          ...s3.env,
          DURABILITY: "disk",
          SPOOL_DIR: spool.path,
          BATCH_MAX_WAIT_MS: "100",
          OBJECT_MAX_AGE_MS: "100",
          RETRY_MAX_MS: "100",
        });
        await s3.stop();
        const { acknowledged, status, body } = await fillUntilRefused(service, "enospc");
        expect({ status, error: body.error }).toEqual({ status: 503, error: "STORAGE_ERROR" });
        expect(service.logs.some((l) => l.level === "error" && l.msg.startsWith("writing to the spool failed"))).toBe(true);
        await s3.start();
        acknowledged.push(...(await recovers(service, "after-enospc")));
        service.signal("SIGTERM");
        expect(await service.exited()).toBe(0);
        const report = deliveryReport((await s3.lines()).map(idOf), acknowledged);
        console.log("scenario 6b (real ENOSPC):", report);
        expect(report).toMatchObject({ missing: 0, duplicates: 0 });
      } finally {
        Bun.spawnSync(["umount", "-l", spool.path]);
      }
    },
  );
  // Against moto, which refuses parts under 5 MiB as S3 does and lists the uploads left open.
  it.skipIf(!hasMoto)(
    "7. kill -9 in the middle of a multipart upload in disk mode: the next start aborts it and lands every payload once",
    async () => {
      await using s3 = await startMoto();
      using spool = spoolDir();
      const env = {
        ...s3.env,
        DURABILITY: "disk",
        SPOOL_DIR: spool.path,
        OBJECT_PART_BYTES: String(5 * 1024 * 1024),
        OBJECT_MAX_BYTES: String(64 * 1024 * 1024),
        OBJECT_MAX_AGE_MS: "600000", // the object stays open: the kill lands between its parts
        BATCH_MAX_WAIT_MS: "200",
      };
      const parts = async (service: ServiceProcess) =>
        Number(/^s3_ingest_object_parts_uploaded_total (\d+)/m.exec(await fetch(`${service.url}/metrics`).then((r) => r.text()))?.[1] ?? 0);
      await using first = await startService(env);
      const progress = { answered: 0 };
      const load = postAll(first, noisyCollections("multipart", 5_000, 20), 16, progress);
      await waitUntil(async () => (await parts(first)) >= 1, "a part uploaded", { timeoutMs: 60_000 });
      first.signal("SIGKILL");
      expect(progress.answered).toBeLessThan(4_500); // killed in the middle of the load
      const { acknowledged } = await load;
      await first[Symbol.asyncDispose]();
      const left = await s3.openUploads();
      expect(left.length).toBeGreaterThanOrEqual(1); // killed in the middle of the upload
      expect(await s3.keys()).toEqual([]);

      await using second = await startService(env);
      const stillOpen = async () => {
        const open = new Set((await s3.openUploads()).map((u) => u.uploadId));
        return left.filter((u) => open.has(u.uploadId));
      };
      await waitUntil(async () => (await stillOpen()).length === 0, "the upload left behind to be aborted", { timeoutMs: 60_000 });
      second.signal("SIGTERM"); // completes the object the spool's segments went into
      expect(await second.exited()).toBe(0);
      expect(leftInSpool(spool.path)).toEqual([]);
      const report = deliveryReport(
        (await s3.lines()).map((l) => JSON.parse(l).id as string),
        acknowledged,
      );
      console.log("scenario 7 (kill -9 mid-multipart, disk mode):", report, { uploads_left_by_the_crash: left.length });
      expect(report).toMatchObject({ missing: 0, duplicates: 0 });
      expect(await s3.openUploads()).toEqual([]);
    },
  );
});
