// FORMAT=parquet end to end: the service as a process (source, binary, Deno) against moto, varied
// payloads (missing fields, wrong types, nested objects, hostile strings) over more partitions
// than the cap; then DuckDB reads every object with hive_partitioning, and each row's typed
// columns and _extra together must be the payload that was posted, field by field.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { postAll } from "../support/load.ts";
import { hasMoto, startMoto } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";

setDefaultTimeout(180_000);

const hasDuckdb = spawnSync("python3", ["-c", "import duckdb, pyarrow"], { stdio: "ignore" }).status === 0;
const COLUMNS = "id:string,event:string,n:bigint,score:double,ok:boolean,t:timestamp_ms,day:date,counters.cpu_ms:bigint,raw:json";
const HOSTILE = ["a/b", "é 日本 😀", 'quote " and \\ backslash', "\u0000\u001f", "x".repeat(2000), "=", ""];

/** Payload number `i`: each shape comes round in turn. */
function payloadOf(i: number): Record<string, unknown> {
  return { kind: `k${i % 11}`, ...shapeOf(i) };
}
function shapeOf(i: number): Record<string, unknown> {
  const id = `p-${i}`;
  switch (i % 6) {
    case 0:
      return {
        id,
        event: `e${i % 9}`,
        n: "9223372036854775807",
        score: 0.25,
        ok: true,
        t: 1796283000250,
        day: "2026-12-03",
        counters: { cpu_ms: i, mem: 5 },
        raw: { a: [1, null] },
      };
    case 1:
      return { id, event: HOSTILE[i % HOSTILE.length], t: "2026-12-03T08:30:00.250+01:00", extra_field: { deep: ["x", 2] } };
    case 2:
      return { id, event: 42, n: "not a number", score: "high", ok: "yes", day: "2026-02-31" }; // every value of the wrong type
    case 3:
      return { id, n: "-9223372036854775808", counters: { mem: 1 } }; // no event: the __missing__ partition
    case 4:
      return { id, event: `later-${i % 13}`, n: "12345678901234567890" }; // past 64 bits
    default:
      return { id, event: "e1", counters: 7, raw: "just a string" };
  }
}
/** The JSON as posted: `n` given as digits (a JSON number), not through a double. */
const json = (p: Record<string, unknown>) => JSON.stringify(p).replace(/"n":"(-?\d+)"/, '"n":$1');

const QUERY = (dir: string) => `
import json, duckdb
rows = duckdb.sql("""select id, event, n::varchar, score, ok, epoch_ms(t), day::varchar, "counters.cpu_ms"::varchar, raw, _extra, kind, epoch_ms(_received_at), _version
  from read_parquet('${dir}/**/*.parquet', hive_partitioning=true, hive_types_autocast=false)""").fetchall()
types = duckdb.sql("""describe select * from read_parquet('${dir}/**/*.parquet', hive_partitioning=false)""").fetchall()
print(json.dumps({"rows": rows, "types": {c[0]: c[1] for c in types}}, default=str))
`;

const PYARROW = `
import sys, json, glob, pyarrow.parquet as pq
tables = [pq.read_table(f) for f in sorted(glob.glob(sys.argv[1] + "/**/*.parquet", recursive=True))]
print(json.dumps({"rows": sum(t.num_rows for t in tables), "ids": [i for t in tables for i in t.column("id").to_pylist()],
  "types": [{f.name: str(f.type) for f in t.schema} for t in tables]}))
`;

for (const target of targets()) {
  const on = onTarget(target);
  describe.skipIf(on.skip || !hasMoto || !hasDuckdb)(`FORMAT=parquet against moto, read back by DuckDB and pyarrow ${on.label}`, () => {
    it("writes objects whose typed columns and _extra give back every posted payload, field by field", async () => {
      await using s3 = await startMoto();
      await using service = await startService(
        { ...s3.env, FORMAT: "parquet", PARQUET_COLUMNS: COLUMNS, PARTITION_BY: "kind", PARTITION_MAX_ACTIVE: "8", BATCH_MAX_WAIT_MS: "50" },
        target,
      );
      const posted = new Map<string, Record<string, unknown>>();
      const bodies = Array.from({ length: 60 }, (_, c) => {
        const data = Array.from({ length: 10 }, (_, k) => payloadOf(c * 10 + k));
        for (const p of data) posted.set(p.id as string, p);
        return { ids: data.map((p) => p.id as string), body: `{"version":"1","token":"t","data":[${data.map(json).join(",")}]}` };
      });
      const postedFrom = Date.now();
      const { acknowledged } = await postAll(service, bodies);
      const postedUntil = Date.now();
      expect(acknowledged).toHaveLength(600);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      expect(await s3.openUploads()).toEqual([]);

      const objects = await s3.objects();
      expect(objects.every((o) => o.key.endsWith(".parquet"))).toBe(true);
      // Eleven kinds over a cap of eight: some went to the overflow partition.
      expect(new Set(objects.map((o) => o.key.split("/")[1])).has("kind=__other__")).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), "parquet-e2e-"));
      try {
        for (const o of objects) {
          mkdirSync(dirname(join(dir, o.key)), { recursive: true });
          writeFileSync(join(dir, o.key), o.body);
        }
        // pyarrow reads every object too, each on its own, with the same counts and types.
        const arrow = spawnSync("python3", ["-c", PYARROW, dir], { maxBuffer: 64 << 20 });
        expect(arrow.stderr.toString()).toBe("");
        const byArrow = JSON.parse(arrow.stdout.toString()) as { rows: number; ids: string[]; types: Record<string, string>[] };
        expect(byArrow.rows).toBe(600);
        expect(new Set(byArrow.ids)).toEqual(new Set(posted.keys()));
        for (const t of byArrow.types)
          expect(t).toMatchObject({ n: "int64", t: "timestamp[ms, tz=UTC]", day: "date32[day]", _received_at: "timestamp[ms, tz=UTC]" });
        const out = spawnSync("python3", ["-c", QUERY(dir)], { maxBuffer: 64 << 20 });
        expect(out.stderr.toString()).toBe("");
        const { rows, types } = JSON.parse(out.stdout.toString()) as { rows: unknown[][]; types: Record<string, string> };
        expect(types).toMatchObject({
          id: "VARCHAR",
          event: "VARCHAR",
          n: "BIGINT",
          score: "DOUBLE",
          ok: "BOOLEAN",
          t: "TIMESTAMP WITH TIME ZONE",
          day: "DATE",
          "counters.cpu_ms": "BIGINT",
          raw: "VARCHAR",
          _extra: "VARCHAR",
          _received_at: "TIMESTAMP WITH TIME ZONE",
          _version: "VARCHAR",
        });
        expect(rows).toHaveLength(600);
        for (const [id, event, n, score, ok, t, day, cpu, raw, extra, kind, receivedAt, version] of rows as [string, ...unknown[]][]) {
          const sent = posted.get(id)!;
          expect(sent).toBeDefined();
          // When and how it came: received while it was being posted, in a collection of version "1".
          expect(receivedAt as number).toBeGreaterThanOrEqual(postedFrom);
          expect(receivedAt as number).toBeLessThanOrEqual(postedUntil);
          expect(version).toBe("1");
          expect([sent.kind, "__other__"]).toContain(kind); // the partition, read from the key
          // The payload again: typed columns first, then what _extra kept, as its exact bytes.
          const back = new Map<string, unknown>();
          const put = (key: string, v: unknown) => v !== null && back.set(key, v);
          put("event", event);
          put("n", n);
          put("score", score);
          put("ok", ok);
          put("t", t);
          put("day", day);
          put("raw", raw === null ? null : JSON.parse(raw as string));
          const kept = extra === null ? {} : JSON.parse((extra as string).replace(/"n":(-?\d{16,})/, '"n":"$1"'));
          const expected = { ...sent } as Record<string, unknown>;
          if (typeof expected.t === "string") expected.t = Date.parse(expected.t as string);
          const cpuSent = (sent.counters as { cpu_ms?: number } | undefined)?.cpu_ms;
          expect(cpu).toBe(cpuSent === undefined ? null : String(cpuSent));
          const merged: Record<string, unknown> = { id, ...kept };
          for (const [k, v] of back) merged[k] = v;
          if (cpu !== null) merged.counters = { ...(kept.counters as object), cpu_ms: Number(cpu) };
          expect(merged).toEqual(expected);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
