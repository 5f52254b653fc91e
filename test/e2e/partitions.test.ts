// PARTITION_BY end to end: the service as a process against moto, hostile values, payloads
// without the field, and more values than PARTITION_MAX_ACTIVE; then DuckDB reads the objects
// with hive_partitioning, and its partition column must count exactly what was posted per value.
// PARTITION_BY=version, in both durability modes and across a shutdown deadline.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { partitionOf as keyLevelOf, safeValue } from "../../src/partition/partitions.ts";
import { expectExactly, postAll } from "../support/load.ts";
import { hasMoto, startMoto, startS3 } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait.ts";

setDefaultTimeout(180_000);

const hasDuckdb = spawnSync("python3", ["-c", "import duckdb"], { stdio: "ignore" }).status === 0;

/** The first six values get partitions of their own (PARTITION_MAX_ACTIVE=6); a missing field is one of them. */
const OWN: unknown[] = ["a/b", "..", "x=y c", "été 日本 😀", "k".repeat(1024), undefined];
/** Values that come once those six are open: new ones go to the overflow partition; null and an array have no value, so they join `__missing__`. */
const LATER: unknown[] = ["boot", 7, true, "scan", "a/b", null, "..", ["arr"]];

const payload = (id: string, event: unknown) => JSON.stringify(event === undefined ? { id } : { id, event });
/** What DuckDB gives as the partition column for a payload's value (percent-decoded from the key). */
const partitionOf = (event: unknown, admitted: Set<string>): string => {
  const text = typeof event === "string" || typeof event === "number" || typeof event === "boolean" ? String(event) : null;
  const own = decodeURIComponent(safeValue(text));
  return admitted.has(own) ? own : "__other__";
};

describe.skipIf(!hasMoto || !hasDuckdb)("PARTITION_BY against moto, read back by DuckDB", () => {
  it("writes each payload under its value's partition, overflow past the cap, and DuckDB counts each value's payloads", async () => {
    await using s3 = await startMoto();
    await using service = await startService({
      ...s3.env,
      PARTITION_BY: "event",
      PARTITION_MAX_ACTIVE: "6",
      OBJECT_MAX_AGE_MS: "600000", // open until SIGTERM: the six partitions stay taken
      BATCH_MAX_WAIT_MS: "50",
    });
    const posted: { id: string; event: unknown }[] = [];
    const post = async (prefix: string, values: unknown[], per: number) => {
      const bodies = Array.from({ length: per }, (_, n) => {
        const data = values.map((event, v) => ({ id: `${prefix}-${n}-${v}`, event }));
        posted.push(...data);
        return { ids: data.map((d) => d.id), body: `{"version":"1","token":"t","data":[${data.map((d) => payload(d.id, d.event)).join(",")}]}` };
      });
      return (await postAll(service, bodies)).acknowledged;
    };
    const metric = async (name: string) => {
      const families = parsePrometheusTextFormat(await (await fetch(`${service.url}/metrics`)).text());
      return Number(families.find((f) => f.name === name)?.metrics[0]?.value ?? Number.NaN);
    };
    const acknowledged = await post("own", OWN, 50);
    await waitUntil(async () => (await metric("s3_ingest_partitions_active")) === 6, "six partitions open");
    acknowledged.push(...(await post("later", LATER, 50)));
    await waitUntil(async () => (await metric("s3_ingest_partition_overflow_payloads_total")) === 50 * 4, "the later values' overflow counted");
    service.signal("SIGTERM");
    expect(await service.exited()).toBe(0);
    expect(await s3.openUploads()).toEqual([]);

    const objects = await s3.objects();
    expectExactly(
      objects.flatMap((o) => o.lines.map((l) => JSON.parse(l).id as string)),
      acknowledged,
    );
    const admitted = new Set(OWN.map((e) => decodeURIComponent(safeValue(typeof e === "string" ? e : null))));
    // Every payload is in the partition of its value, read from the key.
    const byId = new Map(posted.map((p) => [p.id, p.event]));
    for (const o of objects) {
      const level = o.key.split("/")[1]!;
      expect(level.startsWith("event=")).toBe(true);
      for (const line of o.lines) expect(decodeURIComponent(level.slice(6))).toBe(partitionOf(byId.get(JSON.parse(line).id), admitted));
    }

    const dir = mkdtempSync(join(tmpdir(), "partitions-"));
    try {
      for (const o of objects) {
        mkdirSync(dirname(join(dir, o.key)), { recursive: true });
        writeFileSync(join(dir, o.key), o.body);
      }
      const query = `select event, count(*), count(distinct id) from read_json('${dir}/**/*.ndjson.zst', format='newline_delimited', hive_partitioning=true, columns={id: 'VARCHAR'}) group by event`;
      const out = spawnSync("python3", ["-c", `import duckdb, json; print(json.dumps(duckdb.sql("""${query}""").fetchall()))`]);
      expect(out.stderr.toString()).toBe("");
      const counted = Object.fromEntries((JSON.parse(out.stdout.toString()) as [string, number, number][]).map(([v, n, ids]) => [v, [n, ids]]));
      const expected: Record<string, [number, number]> = {};
      for (const p of posted) {
        const v = partitionOf(p.event, admitted);
        expected[v] = [(expected[v]?.[0] ?? 0) + 1, (expected[v]?.[1] ?? 0) + 1];
      }
      expect(counted).toEqual(expected);
      expect(Object.keys(counted)).toContain("__missing__");
      expect(Object.keys(counted)).toContain("a/b");
      expect(counted.__other__).toEqual([200, 200]); // boot, 7, true and scan
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("PARTITION_BY=version: the collection's envelope version", () => {
  const VERSIONS = ["1.0", "2/beta", "..", "été", "", "v".repeat(1024)];

  /** Collections of each version, whose payloads hold a `version` field of their own that must not count. */
  function versionCollections(prefix: string, per: number, versions = VERSIONS) {
    const payloads = new Map<string, { version: string; line: string }>();
    const bodies = versions.flatMap((version, v) =>
      Array.from({ length: per }, (_, n) => {
        const data = Array.from({ length: 5 }, (_, j) => {
          const id = `${prefix}-${v}-${n}-${j}`;
          const line = JSON.stringify({ id, version: "payload's own", n: 2 ** 60 + j });
          payloads.set(id, { version, line: line.replace(/"n":(\d+)/, `"n":${2n ** 60n + BigInt(j)}`) });
          return payloads.get(id)!.line;
        });
        return {
          ids: data.map((l) => JSON.parse(l).id as string),
          body: `{"version":${JSON.stringify(version)},"token":"t","data":[${data.join(",")}]}`,
        };
      }),
    );
    return { bodies, payloads };
  }

  /** Every payload landed once, byte for byte as posted (no prefix in it), under its collection's version. */
  function expectUnderVersions(
    objects: { key: string; lines: string[] }[],
    payloads: Map<string, { version: string; line: string }>,
    acknowledged: string[],
  ) {
    expectExactly(
      objects.flatMap((o) => o.lines.map((l) => JSON.parse(l).id as string)),
      acknowledged,
    );
    for (const o of objects) {
      for (const line of o.lines) {
        const posted = payloads.get(JSON.parse(line).id)!;
        expect(line).toBe(posted.line);
        expect(o.key.split("/")[1]).toBe(keyLevelOf("version", posted.version));
      }
    }
  }

  // One version only: every batch is of one partition, and is written whole (the uploader's fast path).
  const cases = [
    { durability: "memory", versions: VERSIONS },
    { durability: "disk", versions: VERSIONS },
    { durability: "memory", versions: ["1.0"] },
  ];
  for (const { durability, versions } of cases) {
    it(`writes each payload under its collection's version, exactly as posted (DURABILITY=${durability}, ${versions.length} versions)`, async () => {
      await using s3 = await startS3();
      using spool = tempDir("s3-ingest-spool-");
      await using service = await startService({
        ...s3.env,
        DURABILITY: durability,
        SPOOL_DIR: spool.path,
        PARTITION_BY: "version",
        BATCH_MAX_WAIT_MS: "50",
      });
      const { bodies, payloads } = versionCollections(durability, 40, versions);
      const { acknowledged } = await postAll(service, bodies);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      const objects = await s3.objects();
      expect(new Set(objects.map((o) => o.key.split("/")[1])).size).toBe(versions.length);
      expectUnderVersions(objects, payloads, acknowledged);
    });
  }

  it("saves what a shutdown deadline finds with each payload's version, so the next start writes it under that version", async () => {
    await using s3 = await startS3();
    using spool = tempDir("s3-ingest-spool-");
    const env = { ...s3.env, SPOOL_DIR: spool.path, PARTITION_BY: "version", SHUTDOWN_TIMEOUT_MS: "500", RETRY_BASE_MS: "20", RETRY_MAX_MS: "100" };
    const { bodies, payloads } = versionCollections("deadline", 40);
    await using first = await startService(env);
    await s3.stop();
    const { acknowledged } = await postAll(first, bodies);
    first.signal("SIGTERM");
    expect(await first.exited()).toBe(0);
    expect(first.logs.some((l) => l.msg.startsWith("shutdown deadline passed"))).toBe(true);
    await first[Symbol.asyncDispose]();

    await s3.start();
    await using second = await startService(env);
    await waitUntil(async () => (await s3.lines()).length >= acknowledged.length, "the saved payloads to land", { timeoutMs: 30_000 });
    second.signal("SIGTERM");
    expect(await second.exited()).toBe(0);
    expectUnderVersions(await s3.objects(), payloads, acknowledged);
  });
});
