// `bun run bench`: the throughput benchmark. On 127.0.0.1 only, bounded in time, and every
// ratio against a ceiling measured in the same run under the same load: a bare Bun.serve that
// only reads the body (bench/ceiling.ts), run before and after the rows it is compared with, the
// better of the two counting (this shared machine's speed drifts by tens of percent). The
// service writes to a local S3 sink that delays every PUT (bench/sink.ts), which counts what
// lands. Groups (SCENARIOS, comma-separated):
//   main   64 connections, default settings, binary and source: ROUNDS (3) rounds of DURATION_SECS
//          (10) each, a ceiling run before and after every service run, and each ratio against
//          the better of its two; then seed mode once
//   sweep  CONNECTION_SWEEP (64,1000,4000,10000) for SWEEP_SECS (10): ceiling, memory, disk
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
// Other settings: THREADS=1 (wrk's), LATENCY_MS=25, BENCH_TARGET=binary|source (the target of
// every row but main's source row), SERVICE_ENV="K=V ..." added to every service, and
// CPU_PROF_DIR=dir to run the source under Bun's CPU profiler (main thread only).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sigtermToDrain, stalledRequest } from "./probes.ts";
import { cpuSeconds, peakRssMiB, type Spawned, spawnWithPort, stop } from "./processes.ts";
import { startWrk, type WrkResult } from "./wrk.ts";

const ROOT = resolve(import.meta.dir, "..");
const env = process.env;
const DURATION = Number(env.DURATION_SECS ?? 10);
const ROUNDS = Number(env.ROUNDS ?? 3);
const SWEEP_SECS = Number(env.SWEEP_SECS ?? 10);
const SWEEP = (env.CONNECTION_SWEEP ?? "64,1000,4000,10000").split(",").map(Number);
const CHURN_CONNECTIONS = Number(env.CHURN_CONNECTIONS ?? 1000);
const THREADS = Number(env.THREADS ?? 1);
const LATENCY_MS = Number(env.LATENCY_MS ?? 25);
const PAYLOADS_PER_REQUEST = 10;
const LAND_WAIT_MS = 60_000;
/** After the load, how long to wait for batches before SIGTERM completes the open objects. */
const DRAIN_AFTER_MS = 5_000;

/** Objects written, median and p99 size, and store requests (PUTs and multipart calls) per million payloads: what S3 bills. */
function objectSizes(sizes: number[], requests: number, payloads: number): string {
  const sorted = [...sizes].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mib = (n: number) => (n / 1048576).toFixed(n < 1048576 ? 2 : 1);
  const perMillion = payloads ? ((requests * 1e6) / payloads).toFixed(1) : "";
  return `${sizes.length} objects, median ${mib(at(0.5))} MiB, p99 ${mib(at(0.99))} MiB; ${perMillion} S3 requests per million payloads`;
}
/** The load's payload fields (bench/collect.lua) as Parquet columns; `path` is left to _extra. */
const BENCH_COLUMNS =
  "id:string,ts:timestamp_ms,host:string,os:string,agent:string,event:string,cpu:double,mem:bigint,ok:boolean,threats:bigint,sig:string";
const GROUPS = (env.SCENARIOS ?? "main,objects,sweep,churn,probes").split(",");
const OBJECT_SECS = Number(env.OBJECT_SECS ?? 30);
const TARGET = env.BENCH_TARGET ?? "binary";
const EXTRA_ENV = Object.fromEntries(
  (env.SERVICE_ENV ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => kv.split("=", 2) as [string, string]),
);

interface Row {
  name: string;
  connections: number;
  wrk: WrkResult;
  /** Only for the service: payloads answered 200, and payloads the sink counted. */
  acked?: number;
  landed?: number;
  landSecs?: number;
  rss: number;
  cpu: number;
  notes?: string;
}

let binary: string | null = null;
function serviceCommand(target: string): string[] {
  const profile = env.CPU_PROF_DIR ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(env.CPU_PROF_DIR)}`] : [];
  if (target === "source" || profile.length) return [process.execPath, ...profile, join(ROOT, "src/main.ts")];
  if (!binary) {
    binary = join(mkdtempSync(join(tmpdir(), "s3-ingest-bench-bin-")), "s3-ingest");
    const built = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, env: { ...env, BUILD_OUTFILE: binary }, stdout: "ignore" });
    if (built.exitCode !== 0) throw new Error(built.stderr.toString());
  }
  return [binary];
}

interface Load {
  connections: number;
  seconds: number;
  churn?: boolean;
  /** Values of the payloads' "part" field (collect.lua), for PARTITION_BY=part. */
  partitions?: number;
}

async function runCeiling(load: Load): Promise<Row> {
  const server = await spawnWithPort([process.execPath, join(ROOT, "bench/ceiling.ts")], {});
  try {
    const cpu0 = cpuSeconds(server.proc.pid);
    const wrk = await startWrk({ port: server.port, threads: THREADS, durationSecs: load.seconds, ...load }).result;
    return {
      name: "ceiling (Bun.serve, reads the body)",
      connections: load.connections,
      wrk,
      rss: peakRssMiB(server.proc.pid),
      cpu: cpuSeconds(server.proc.pid) - cpu0,
    };
  } finally {
    await stop(server);
  }
}

/** Runs `rows` between two ceiling runs under the same load; returns all, the ceilings first and last. */
async function withCeiling(load: Load, rows: () => Promise<Row[]>): Promise<{ rows: Row[]; ceiling: Row }> {
  const before = await runCeiling(load);
  const middle = await rows();
  const after = await runCeiling(load);
  const ceiling = before.wrk.rps >= after.wrk.rps ? before : after;
  return { rows: [before, ...middle, after], ceiling };
}

/**
 * ROUNDS rounds of `variants`, each run between two ceiling runs (a ceiling run serves the row
 * before and after it), so that the machine's drift hits every variant alike. Each row's ratio is
 * taken against the better of its two ceilings.
 */
async function alternating(load: Load, variants: [string, () => Promise<Row>][]) {
  const rows: Row[] = [];
  const ceilingOf = new Map<Row, Row>();
  const ratios: Record<string, number[]> = {};
  let before = await runCeiling(load);
  rows.push(before);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of variants) {
      const row = await run();
      const after = await runCeiling(load);
      const ceiling = before.wrk.rps >= after.wrk.rps ? before : after;
      ceilingOf.set(row, ceiling);
      ratios[name] ??= [];
      ratios[name].push(row.wrk.rps / ceiling.wrk.rps);
      rows.push(row, after);
      before = after;
    }
  }
  return { rows, ceilingOf, ratios };
}

/** `during` runs while wrk does; it may stop the service itself (the SIGTERM probe). */
async function runService(
  name: string,
  target: string,
  load: Load,
  serviceEnv: Record<string, string>,
  during?: (service: Spawned) => Promise<string>,
): Promise<Row> {
  const sink = await spawnWithPort([process.execPath, join(ROOT, "bench/sink.ts")], { LATENCY_MS: String(LATENCY_MS) });
  const sinkUrl = `http://127.0.0.1:${sink.port}`;
  const service = await spawnWithPort(serviceCommand(target), {
    S3_BUCKET: "bench",
    S3_ENDPOINT: sinkUrl,
    S3_FORCE_PATH_STYLE: "true",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    ...serviceEnv,
    ...EXTRA_ENV,
  });
  const pid = service.proc.pid;
  try {
    const cpu0 = cpuSeconds(pid);
    const running = startWrk({ port: service.port, threads: THREADS, durationSecs: load.seconds, ...load });
    let cpu = NaN;
    let rss = NaN;
    const notes = during ? await during(service) : undefined;
    const wrk = await running.result;
    if (service.proc.exitCode === null) {
      cpu = cpuSeconds(pid) - cpu0;
      rss = peakRssMiB(pid);
    }
    const acked = (wrk.requests - wrk.non2xx) * PAYLOADS_PER_REQUEST;
    const stats = async () => (await (await fetch(`${sinkUrl}/stats`)).json()) as { payloads: number };
    const ended = performance.now();
    let landed = 0;
    let landSecs = NaN;
    let drained = false;
    // The drain can take memory of its own (every open object completes at once): its peak, read
    // as it goes, since the process's figures go with it. The row's peak RSS is the load's.
    let drainRss = NaN;
    const drainPeak = () => {
      if (!drained || service.proc.exitCode !== null) return;
      try {
        drainRss = peakRssMiB(pid);
      } catch {
        // exited between the check and the read
      }
    };
    while (performance.now() - ended < LAND_WAIT_MS) {
      drainPeak();
      landed = (await stats()).payloads;
      if (landed >= acked) {
        landSecs = (performance.now() - ended) / 1000;
        break;
      }
      // The open object completes at OBJECT_MAX_AGE_MS (a minute), or on SIGTERM: as an operator's
      // deploy would, stop the service once the batches are out, and count what its drain lands.
      if (!drained && performance.now() - ended > DRAIN_AFTER_MS && service.proc.exitCode === null) {
        drained = true;
        service.proc.kill("SIGTERM");
      }
      await Bun.sleep(100);
    }
    drainPeak();
    const { sizes, requests } = (await (await fetch(`${sinkUrl}/stats`)).json()) as { sizes: number[]; requests: number };
    const objectNotes = sizes.length ? objectSizes(sizes, requests, landed) : "";
    return {
      name,
      connections: load.connections,
      wrk,
      acked,
      landed,
      landSecs,
      rss,
      cpu,
      notes: [
        notes,
        objectNotes,
        drained ? `landed on SIGTERM${Number.isNaN(drainRss) ? "" : ` (peak RSS with the drain ${drainRss.toFixed(1)} MiB)`}` : "",
      ]
        .filter(Boolean)
        .join("; "),
    };
  } finally {
    await stop(service);
    await stop(sink);
  }
}

if (!Bun.which("wrk")) {
  console.error("bench: wrk is not installed. It is the load driver: apt-get install wrk (Debian/Ubuntu).");
  process.exit(2);
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? "" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lost = (r: Row) => (r.acked === undefined ? undefined : Math.max(0, r.acked - r.landed!));
const usPerRequest = (r: Row) => (Number.isNaN(r.cpu) ? NaN : (r.cpu * 1e6) / r.wrk.requests);
const ratio = (r: Row, ceiling: Row | undefined) => (ceiling && r.acked !== undefined ? (r.wrk.rps / ceiling.wrk.rps).toFixed(2) : "");
const landedAfter = (r: Row) => (r.acked === undefined ? "" : Number.isNaN(r.landSecs!) ? "> 60 s" : `${fmt(r.landSecs, 1)} s`);

function table(title: string, rows: Row[], ceilingFor: (r: Row) => Row | undefined) {
  console.log(`\n${title}\n`);
  console.log(
    "| scenario | connections | req/s | vs ceiling | CPU µs/req | p50 ms | p99 ms | non-2xx | socket errors | payloads acked | lost | all landed after | peak RSS MiB | notes |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.connections)} | ${fmt(r.wrk.rps)} | ${ratio(r, ceilingFor(r))} | ${fmt(usPerRequest(r))} | ${fmt(r.wrk.p50, 2)} | ${fmt(r.wrk.p99, 2)} | ${fmt(r.wrk.non2xx)} | ${fmt(r.wrk.socketErrors)} | ${fmt(r.acked)} | ${fmt(lost(r))} | ${landedAfter(r)} | ${fmt(r.rss, 1)} | ${r.notes ?? ""} |`,
    );
  }
}

console.log(
  `bench: wrk -t${THREADS}, ${PAYLOADS_PER_REQUEST} payloads per request, sink latency ${LATENCY_MS} ms, target ${TARGET}${Object.keys(EXTRA_ENV).length ? `, SERVICE_ENV: ${env.SERVICE_ENV}` : ""}`,
);

if (GROUPS.includes("main")) {
  const load = { connections: 64, seconds: DURATION };
  const { rows, ceilingOf, ratios } = await alternating(
    load,
    ["binary", "source"].map((target) => [target, () => runService(`default settings (${target})`, target, load, {})]),
  );
  const seed = await runService("seed mode (binary)", "binary", load, {
    BATCH_MAX_PAYLOADS: "1",
    COMPRESSION: "none",
    OBJECT_MAX_AGE_MS: "0",
    MAX_WORKERS: "256",
  });
  rows.push(seed);
  table(
    `64 connections, ${DURATION} s each, ${ROUNDS} rounds; each service run against the better of the ceilings just before and after it`,
    rows,
    (r) => ceilingOf.get(r),
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log("");
  for (const [target, xs] of Object.entries(ratios)) {
    console.log(
      `- ${target}: vs ceiling ${xs.map((x) => x.toFixed(2)).join(", ")}; median ${median(xs).toFixed(2)}, lowest ${Math.min(...xs).toFixed(2)}`,
    );
  }
}

if (GROUPS.includes("sweep")) {
  const rows: Row[] = [];
  const ceilings = new Map<number, Row>();
  for (const connections of SWEEP) {
    const load = { connections, seconds: SWEEP_SECS };
    const run = await withCeiling(load, async () => [
      await runService(`memory mode (${TARGET})`, TARGET, load, {}),
      await runService(`disk mode (${TARGET})`, TARGET, load, { DURABILITY: "disk" }),
    ]);
    ceilings.set(connections, run.ceiling);
    rows.push(...run.rows);
  }
  table(`Connection sweep, keep-alive, ${SWEEP_SECS} s each`, rows, (r) => ceilings.get(r.connections));
}

if (GROUPS.includes("objects")) {
  // Object sizes at the defaults (large multipart objects, 5 MiB parts), with 8 MiB parts, in disk mode, and one object per batch, as before.
  const load = { connections: 64, seconds: OBJECT_SECS };
  const { rows, ceiling } = await withCeiling(load, async () => [
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
    const run = await withCeiling(load, async () => [
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
  const { rows, ceilingOf, ratios } = await alternating(load, [
    ["nobody watching", () => runService(`nobody watching (${TARGET})`, TARGET, load, {})],
    ["status page open", () => runService(`status page open (${TARGET})`, TARGET, load, {}, watch)],
  ]);
  table(`The status page's cost: 64 connections, ${DURATION} s each, ${ROUNDS} rounds`, rows, (r) => ceilingOf.get(r));
  console.log("");
  for (const [name, xs] of Object.entries(ratios)) console.log(`- ${name}: vs ceiling ${xs.map((x) => x.toFixed(2)).join(", ")}`);
  const cost = Bun.spawnSync([process.execPath, join(ROOT, "bench/status-cost.ts")], { stdout: "pipe", stderr: "inherit" });
  console.log(cost.stdout.toString());
}

if (GROUPS.includes("churn")) {
  const load = { connections: CHURN_CONNECTIONS, seconds: SWEEP_SECS, churn: true };
  const { rows, ceiling } = await withCeiling(load, async () => [await runService(`memory mode (${TARGET})`, TARGET, load, {})]);
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

if (binary) rmSync(resolve(binary, ".."), { recursive: true, force: true });
