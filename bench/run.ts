// `bun run bench`: the throughput benchmark. On 127.0.0.1 only, bounded in time, and every
// ratio against a ceiling measured in the same run under the same load: a bare Bun.serve that
// only reads the body (bench/ceiling.ts), run before and after the rows it is compared with, the
// better of the two counting (this shared machine's speed drifts by tens of percent). The
// service writes to a local S3 sink that delays every PUT (bench/sink.ts), which counts what
// lands. Groups (SCENARIOS, comma-separated):
//   main   64 connections, default settings, binary and source, and the binary at HTTP_THREADS=1:
//          ROUNDS (3) rounds of DURATION_SECS (10) each, a ceiling of the same threads run before
//          and after every service run, and each ratio against the better of its two; then seed
//          mode once
//   sweep  CONNECTION_SWEEP (64,1000,4000,10000) for SWEEP_SECS (10): memory and disk, at the
//          default HTTP_THREADS and at 1, SWEEP_ROUNDS (1) rounds of them in turn, each run
//          between ceilings of its threads; the thread ratio by round and pooled
//   churn  `Connection: close` on every request, CHURN_CONNECTIONS (1000): ceiling, service
//   probes 4,000 connections: a stalled request's 408 (REQUEST_TIMEOUT_MS=2000), and SIGTERM
//   objects 64 connections for OBJECT_SECS (30): object sizes and S3 requests per million payloads,
//          at the defaults, with one object per batch (OBJECT_MAX_AGE_MS=0), and FORMAT=parquet
//   partitions  64 connections for PARTITION_SECS (40) each, PARTITION_BY=part with PARTITION_COUNTS
//          (0,1,10,100; 0: no PARTITION_BY; `version`: PARTITION_BY=version, the bodies' one
//          version) values: req/s, peak RSS, object sizes
//   status  64 connections, ROUNDS rounds: the service with nobody watching, then with the status
//          page open (status.json fetched every second, as the page does); and the time of one
//          sample and of one status.json, measured in-process
//   soak   64 connections for SOAK_SECS (600) at the defaults (bench/soak.ts): non-2xx, lost, RSS
//          by minute
// The default HTTP_THREADS is the service's own, from this machine's cores. Every row gives CPU
// µs per request for the whole process and for its HTTP threads (/proc/PID/task/TID/stat), and
// how busy the whole machine was (/proc/stat): wrk and the kernel's loopback share its cores.
// Other settings: THREADS=1 (wrk's), LATENCY_MS=25, BENCH_TARGET=binary|source (the target of
// every row but main's source row), SERVICE_ENV="K=V ..." added to every service, and
// CPU_PROF_DIR=dir to run the source under Bun's CPU profiler (main thread only).
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { sigtermToDrain, stalledRequest } from "./probes.ts";
import type { Spawned } from "./processes.ts";
import {
  alternating,
  cleanUp,
  DEFAULT_HTTP_THREADS,
  EXTRA_ENV,
  LATENCY_MS,
  PAYLOADS_PER_REQUEST,
  type Row,
  runService,
  type Variant,
  WRK_THREADS,
  withCeiling,
} from "./rows.ts";
import { soak } from "./soak.ts";
import { fmt, median, table, usPerRequest } from "./table.ts";

const ROOT = resolve(import.meta.dir, "..");
const env = process.env;
const DURATION = Number(env.DURATION_SECS ?? 10);
const ROUNDS = Number(env.ROUNDS ?? 3);
const SWEEP_SECS = Number(env.SWEEP_SECS ?? 10);
const SWEEP_ROUNDS = Number(env.SWEEP_ROUNDS ?? 1);
const SWEEP = (env.CONNECTION_SWEEP ?? "64,1000,4000,10000").split(",").map(Number);
const CHURN_CONNECTIONS = Number(env.CHURN_CONNECTIONS ?? 1000);
/** The load's payload fields (bench/collect.lua) as Parquet columns; `path` is left to _extra. */
const BENCH_COLUMNS =
  "id:string,ts:timestamp_ms,host:string,os:string,agent:string,event:string,cpu:double,mem:bigint,ok:boolean,threats:bigint,sig:string";
const GROUPS = (env.SCENARIOS ?? "main,objects,sweep,churn,probes").split(",");
const OBJECT_SECS = Number(env.OBJECT_SECS ?? 30);
const TARGET = env.BENCH_TARGET ?? "binary";
const N = DEFAULT_HTTP_THREADS;
const ONE = { HTTP_THREADS: "1" };

if (!Bun.which("wrk")) {
  console.error("bench: wrk is not installed. It is the load driver: apt-get install wrk (Debian/Ubuntu).");
  process.exit(2);
}

console.log(
  `bench: wrk -t${WRK_THREADS}, ${PAYLOADS_PER_REQUEST} payloads per request, sink latency ${LATENCY_MS} ms, target ${TARGET}, default HTTP_THREADS ${N} (of ${availableParallelism()} cores)${Object.keys(EXTRA_ENV).length ? `, SERVICE_ENV: ${env.SERVICE_ENV}` : ""}`,
);

/** The rows called `name`, in the order they ran. */
const named = (rows: Row[], name: string) => rows.filter((r) => r.name === name);

/** Rounds of one variant as one row: mean req/s, and CPU, requests and machine time summed. */
function pooled(rows: Row[]): Row {
  const sum = (pick: (r: Row) => number) => rows.reduce((n, r) => n + pick(r), 0);
  return {
    ...rows[0]!,
    wrk: { ...rows[0]!.wrk, rps: sum((r) => r.wrk.rps) / rows.length, requests: sum((r) => r.wrk.requests) },
    cpu: sum((r) => r.cpu),
    httpCpu: sum((r) => r.httpCpu),
    machineCpu: sum((r) => r.machineCpu),
    machineBusy: sum((r) => r.machineBusy) / rows.length,
  };
}

/**
 * A line comparing the default HTTP_THREADS (`many`, a row per round) with HTTP_THREADS=1
 * (`one`, the same rounds): the ratio by round and its median, then over the rounds pooled
 * throughput, CPU per request, and the most the ratio could be on this machine. No service beats
 * its own ceiling, so N / 1 is at most ceiling(N) / service(1), both from the same run.
 */
function compareThreads(what: string, many: Row[], one: Row[], ceilingOf: Map<Row, Row>): string {
  const byRound = many.map((r, i) => r.wrk.rps / one[i]!.wrk.rps);
  const [m, o] = [pooled(many), pooled(one)];
  const ceiling = pooled(many.map((r) => ceilingOf.get(r)!));
  const us = (r: Row, seconds = r.cpu) => fmt(usPerRequest(r, seconds), 1);
  const bound = `; at most ${(ceiling.wrk.rps / o.wrk.rps).toFixed(2)}x here (its ceiling / HTTP_THREADS=1)`;
  // The machine's share: with one thread it was `busy` of its cores, so at the same CPU per
  // request (service, wrk and kernel together) no thread count gets more than 1 / busy of it.
  const machine = `; the machine (service, wrk, kernel) ${(o.machineBusy * 100).toFixed(0)}% busy with one thread, so at most ${(1 / o.machineBusy).toFixed(2)}x at its ${us(o, o.machineCpu)} µs/req (${us(m, m.machineCpu)} with ${m.threads})`;
  const rounds = byRound.length > 1 ? `by round ${byRound.map((x) => x.toFixed(2)).join(", ")}, median ${median(byRound).toFixed(2)}; pooled ` : "";
  return `- ${what}: HTTP_THREADS=${m.threads} / HTTP_THREADS=1 ${rounds}${(m.wrk.rps / o.wrk.rps).toFixed(2)}x req/s${bound}${machine}; CPU µs/req ${us(m)} against ${us(o)}, on the HTTP threads ${us(m, m.httpCpu)} against ${us(o, o.httpCpu)}`;
}

if (GROUPS.includes("main")) {
  const load = { connections: 64, seconds: DURATION };
  const { rows, ceilingOf, ratios } = await alternating(load, ROUNDS, [
    ["binary", N, () => runService("default settings (binary)", "binary", load, {})],
    ["source", N, () => runService("default settings (source)", "source", load, {})],
    ["binary, HTTP_THREADS=1", 1, () => runService("HTTP_THREADS=1 (binary)", "binary", load, ONE)],
  ]);
  const seed = await runService("seed mode (binary)", "binary", load, {
    BATCH_MAX_PAYLOADS: "1",
    COMPRESSION: "none",
    OBJECT_MAX_AGE_MS: "0",
    MAX_WORKERS: "256",
  });
  rows.push(seed);
  table(
    `64 connections, ${DURATION} s each, ${ROUNDS} rounds; each service run against the better of the ceilings of its HTTP threads just before and after it`,
    rows,
    (r) => ceilingOf.get(r),
  );
  console.log("");
  for (const [target, xs] of Object.entries(ratios)) {
    console.log(
      `- ${target}: vs ceiling ${xs.map((x) => x.toFixed(2)).join(", ")}; median ${median(xs).toFixed(2)}, lowest ${Math.min(...xs).toFixed(2)}`,
    );
  }
  console.log(compareThreads("binary", named(rows, "default settings (binary)"), named(rows, "HTTP_THREADS=1 (binary)"), ceilingOf));
}

if (GROUPS.includes("sweep")) {
  const rows: Row[] = [];
  const ceilings = new Map<Row, Row>();
  const compared: string[] = [];
  for (const connections of SWEEP) {
    const load = { connections, seconds: SWEEP_SECS };
    const modes = (threads: number, serviceEnv: Record<string, string>): Variant[] => {
      const label = threads === N ? "" : `, HTTP_THREADS=${threads}`;
      return [
        [`memory${label}`, threads, () => runService(`memory mode${label} (${TARGET})`, TARGET, load, serviceEnv)],
        [`disk${label}`, threads, () => runService(`disk mode${label} (${TARGET})`, TARGET, load, { ...serviceEnv, DURABILITY: "disk" })],
      ];
    };
    const run = await alternating(load, SWEEP_ROUNDS, N === 1 ? modes(N, {}) : [...modes(N, {}), ...modes(1, ONE)]);
    rows.push(...run.rows);
    for (const [row, ceiling] of run.ceilingOf) ceilings.set(row, ceiling);
    if (N === 1) continue;
    for (const mode of ["memory", "disk"]) {
      const many = named(run.rows, `${mode} mode (${TARGET})`);
      const one = named(run.rows, `${mode} mode, HTTP_THREADS=1 (${TARGET})`);
      compared.push(compareThreads(`${mode}, ${fmt(connections)} connections`, many, one, run.ceilingOf));
    }
  }
  table(
    `Connection sweep, keep-alive, ${SWEEP_SECS} s each, ${SWEEP_ROUNDS} round${SWEEP_ROUNDS === 1 ? "" : "s"}; each service run against the better of the ceilings of its HTTP threads just before and after it`,
    rows,
    (r) => ceilings.get(r),
  );
  if (compared.length) console.log(`\n${compared.join("\n")}`);
}

if (GROUPS.includes("soak")) {
  const { row, verdict } = await soak(TARGET, Number(env.SOAK_SECS ?? 600));
  table("Soak: 64 connections, the defaults", [row], () => undefined);
  console.log(`\n${verdict.map((v) => `- ${v}`).join("\n")}`);
}

if (GROUPS.includes("objects")) {
  // Object sizes at the defaults (large multipart objects, 5 MiB parts), with 8 MiB parts, in disk mode, and one object per batch, as before.
  const load = { connections: 64, seconds: OBJECT_SECS };
  const { rows, ceiling } = await withCeiling(load, N, async () => [
    await runService(`large objects, defaults (${TARGET})`, TARGET, load, {}),
    await runService(`large objects, OBJECT_PART_BYTES=8 MiB (${TARGET})`, TARGET, load, { OBJECT_PART_BYTES: String(8 * 1024 * 1024) }),
    await runService(`large objects, DURABILITY=disk (${TARGET})`, TARGET, load, { DURABILITY: "disk" }),
    await runService(`one object per batch, OBJECT_MAX_AGE_MS=0 (${TARGET})`, TARGET, load, { OBJECT_MAX_AGE_MS: "0" }),
    await runService(`Parquet, FORMAT=parquet, 11 columns (${TARGET})`, TARGET, load, { FORMAT: "parquet", PARQUET_COLUMNS: BENCH_COLUMNS }),
  ]);
  table(`Object sizes: 64 connections, ${OBJECT_SECS} s each`, rows, () => ceiling);
}

if (GROUPS.includes("partitions")) {
  const seconds = Number(env.PARTITION_SECS ?? 40);
  // 0: no PARTITION_BY, the same payloads, for comparison in the same run.
  const counts = (env.PARTITION_COUNTS ?? "0,1,10,100").split(",");
  const rows: Row[] = [];
  const ceilings = new Map<Row, Row>();
  for (const count of counts) {
    const partitions = count === "version" ? 0 : Number(count);
    const load = { connections: 64, seconds, partitions };
    const run = await withCeiling(load, N, async () => [
      count === "version"
        ? await runService(`PARTITION_BY=version, one version (${TARGET})`, TARGET, { ...load, partitions: 1 }, { PARTITION_BY: "version" })
        : partitions === 0
          ? await runService(`no PARTITION_BY (${TARGET})`, TARGET, { ...load, partitions: 1 }, {})
          : await runService(`PARTITION_BY=part, ${partitions} values (${TARGET})`, TARGET, load, { PARTITION_BY: "part" }),
    ]);
    for (const r of run.rows) ceilings.set(r, run.ceiling);
    rows.push(...run.rows);
  }
  table(`Partitions: 64 connections, ${seconds} s each, defaults otherwise (PARTITION_MAX_ACTIVE=100)`, rows, (r) => ceilings.get(r));
}

if (GROUPS.includes("status")) {
  // Does the status page cost the ingest path anything? The same load with and without a page
  // open, each against the ceilings around it, alternating so that drift hits both alike.
  const load = { connections: 64, seconds: DURATION };
  const watch = async (service: Spawned) => {
    const ms: number[] = [];
    let after = 0;
    const end = performance.now() + load.seconds * 1000;
    while (performance.now() < end) {
      const started = performance.now();
      const status = (await (await fetch(`http://127.0.0.1:${service.port}/status.json?after=${after}`)).json()) as { history: { count: number } };
      ms.push(performance.now() - started);
      after = status.history.count;
      await Bun.sleep(1_000);
    }
    ms.sort((a, b) => a - b);
    return `status.json fetched ${ms.length} times, median ${fmt(ms[Math.floor(ms.length / 2)], 1)} ms`;
  };
  const { rows, ceilingOf, ratios } = await alternating(load, ROUNDS, [
    ["nobody watching", N, () => runService(`nobody watching (${TARGET})`, TARGET, load, {})],
    ["status page open", N, () => runService(`status page open (${TARGET})`, TARGET, load, {}, watch)],
  ]);
  table(`The status page's cost: 64 connections, ${DURATION} s each, ${ROUNDS} rounds`, rows, (r) => ceilingOf.get(r));
  console.log("");
  for (const [name, xs] of Object.entries(ratios)) console.log(`- ${name}: vs ceiling ${xs.map((x) => x.toFixed(2)).join(", ")}`);
  const cost = Bun.spawnSync([process.execPath, join(ROOT, "bench/status-cost.ts")], { stdout: "pipe", stderr: "inherit" });
  console.log(cost.stdout.toString());
}

if (GROUPS.includes("churn")) {
  const load = { connections: CHURN_CONNECTIONS, seconds: SWEEP_SECS, churn: true };
  const { rows, ceiling } = await withCeiling(load, N, async () => [await runService(`memory mode (${TARGET})`, TARGET, load, {})]);
  table(`Connection churn: \`Connection: close\` on every request, ${SWEEP_SECS} s each`, rows, () => ceiling);
}

if (GROUPS.includes("probes")) {
  const load = { connections: 4000, seconds: SWEEP_SECS };
  const rows: Row[] = [];
  rows.push(
    await runService(`REQUEST_TIMEOUT_MS=2000 (${TARGET})`, TARGET, load, { REQUEST_TIMEOUT_MS: "2000" }, async (service) => {
      await Bun.sleep(3_000); // the load is up
      const probes = [];
      for (let i = 0; i < 3; i++) probes.push(await stalledRequest(service.port));
      return `stalled requests answered ${probes.map((p) => `${p.status} after ${(p.ms / 1000).toFixed(2)} s`).join(", ")}`;
    }),
  );
  rows.push(
    await runService(`SIGTERM mid-load (${TARGET})`, TARGET, load, {}, async (service) => {
      await Bun.sleep((SWEEP_SECS * 1000) / 2);
      const ms = await sigtermToDrain(service);
      const code = await service.proc.exited;
      return `drain started ${fmt(ms)} ms after SIGTERM; exit ${code}`;
    }),
  );
  table("Probes under 4,000 keep-alive connections", rows, () => undefined);
}

cleanUp();
