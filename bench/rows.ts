// One row of `bun run bench`: a ceiling run or a service run under one wrk load, with what it
// costs (CPU of the whole process and of its HTTP threads, peak RSS) and, for the service, what
// the sink counted as landed. Ceilings are measured in the same run as the rows they bound, with
// as many threads as the service under comparison (bench/ceiling.ts, CEILING_THREADS).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../src/config.ts";
import { cpuSeconds, machineCpuSeconds, peakRssMiB, type Spawned, spawnWithPort, stop, threadCpuSeconds } from "./processes.ts";
import { startWrk, type WrkResult } from "./wrk.ts";

const ROOT = resolve(import.meta.dir, "..");
const env = process.env;
/** wrk's threads (THREADS, 1): wrk shares this machine's cores with what it loads. */
export const WRK_THREADS = Number(env.THREADS ?? 1);
export const LATENCY_MS = Number(env.LATENCY_MS ?? 25);
export const PAYLOADS_PER_REQUEST = 10;
const LAND_WAIT_MS = 60_000;
/** After the load, how long to wait for batches before SIGTERM completes the open objects. */
const DRAIN_AFTER_MS = 5_000;
/** SERVICE_ENV="K=V ...", added to every service run. */
export const EXTRA_ENV = Object.fromEntries(
  (env.SERVICE_ENV ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => kv.split("=", 2) as [string, string]),
);
/** HTTP_THREADS as the service derives it here, from this machine's cores (HTTP_THREADS=0). */
export const DEFAULT_HTTP_THREADS = Number(EXTRA_ENV.HTTP_THREADS ?? 0) || loadConfig({}).HTTP_THREADS;

export interface Row {
  name: string;
  connections: number;
  /** HTTP threads: the service's, or the ceiling's Bun.serve count. */
  threads: number;
  wrk: WrkResult;
  /** Only for the service: payloads answered 200, and payloads the sink counted. */
  acked?: number;
  landed?: number;
  landSecs?: number;
  rss: number;
  /** CPU seconds over the load: the whole process, and its HTTP threads alone. */
  cpu: number;
  httpCpu: number;
  /** The whole machine over the load (machineCpuSeconds): its busy CPU seconds, and the share of its cores they are. */
  machineCpu: number;
  machineBusy: number;
  notes?: string;
}

export interface Load {
  connections: number;
  seconds: number;
  churn?: boolean;
  /** Values of the payloads' "part" field (collect.lua), for PARTITION_BY=part. */
  partitions?: number;
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

/** Removes the binary built for the run, if one was. */
export function cleanUp() {
  if (binary) rmSync(resolve(binary, ".."), { recursive: true, force: true });
}

/** Objects written, median and p99 size, and store requests (PUTs and multipart calls) per million payloads: what S3 bills. */
function objectSizes(sizes: number[], requests: number, payloads: number): string {
  const sorted = [...sizes].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mib = (n: number) => (n / 1048576).toFixed(n < 1048576 ? 2 : 1);
  const perMillion = payloads ? ((requests * 1e6) / payloads).toFixed(1) : "";
  return `${sizes.length} objects, median ${mib(at(0.5))} MiB, p99 ${mib(at(0.99))} MiB; ${perMillion} S3 requests per million payloads`;
}

/** Measures the machine's CPU from now: the function it returns gives its busy seconds and busy share since. */
function machineMeter() {
  const start = machineCpuSeconds();
  return () => {
    const end = machineCpuSeconds();
    const busy = end.busy - start.busy;
    return { machineCpu: busy, machineBusy: busy / (end.total - start.total) };
  };
}

/** The bare Bun.serve (bench/ceiling.ts) with `threads` servers on one port; every thread of it is an HTTP thread. */
export async function runCeiling(load: Load, threads = 1): Promise<Row> {
  const server = await spawnWithPort([process.execPath, join(ROOT, "bench/ceiling.ts")], { CEILING_THREADS: String(threads) });
  try {
    const cpu0 = cpuSeconds(server.proc.pid);
    const machine = machineMeter();
    const wrk = await startWrk({ port: server.port, threads: WRK_THREADS, durationSecs: load.seconds, ...load }).result;
    const cpu = cpuSeconds(server.proc.pid) - cpu0;
    return {
      name: `ceiling (Bun.serve, reads the body, ${threads} thread${threads === 1 ? "" : "s"})`,
      connections: load.connections,
      threads,
      wrk,
      rss: peakRssMiB(server.proc.pid),
      cpu,
      httpCpu: cpu,
      ...machine(),
    };
  } finally {
    await stop(server);
  }
}

/** Runs `rows` between two ceiling runs of `threads` under the same load; returns all, the ceilings first and last. */
export async function withCeiling(load: Load, threads: number, rows: () => Promise<Row[]>): Promise<{ rows: Row[]; ceiling: Row }> {
  const before = await runCeiling(load, threads);
  const middle = await rows();
  const after = await runCeiling(load, threads);
  const ceiling = before.wrk.rps >= after.wrk.rps ? before : after;
  return { rows: [before, ...middle, after], ceiling };
}

/** A variant of `alternating`: its name, its HTTP threads (its ceiling's), and its run. */
export type Variant = [name: string, threads: number, run: () => Promise<Row>];

/**
 * ROUNDS rounds of `variants`, each run between two ceiling runs of its thread count (a ceiling
 * run serves the row before and after it when both have its count), so that the machine's drift
 * hits every variant alike. Each row's ratio is taken against the better of its two ceilings
 * (`ceilingOf`); a variant's rows by round are its rows of that name, in order.
 */
export async function alternating(load: Load, rounds: number, variants: Variant[]) {
  const rows: Row[] = [];
  const ceilingOf = new Map<Row, Row>();
  const ratios: Record<string, number[]> = {};
  let last: Row | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const [name, threads, run] of variants) {
      const before = last?.threads === threads ? last : await runCeiling(load, threads);
      if (before !== last) rows.push(before);
      const row = await run();
      const after = await runCeiling(load, threads);
      const ceiling = before.wrk.rps >= after.wrk.rps ? before : after;
      ceilingOf.set(row, ceiling);
      ratios[name] = [...(ratios[name] ?? []), row.wrk.rps / ceiling.wrk.rps];
      rows.push(row, after);
      last = after;
    }
  }
  return { rows, ceilingOf, ratios };
}

/** The service's HTTP threads, from its "listening" line: how many, and their OS ids (http_thread_ids). */
function httpThreads(service: Spawned): { threads: number; tids: number[] } {
  const line = service.logs.find((l) => l.line.msg === "listening")?.line;
  const tids = ((line?.http_thread_ids as (number | null)[] | undefined) ?? []).filter((t): t is number => t !== null);
  return { threads: Number(line?.http_threads ?? 1), tids };
}

/** `during` runs while wrk does; it may stop the service itself (the SIGTERM probe). */
export async function runService(
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
  const { threads, tids } = httpThreads(service);
  try {
    const cpu0 = cpuSeconds(pid);
    const httpCpu0 = threadCpuSeconds(pid, tids);
    const machine = machineMeter();
    const running = startWrk({ port: service.port, threads: WRK_THREADS, durationSecs: load.seconds, ...load });
    let cpu = NaN;
    let httpCpu = NaN;
    let rss = NaN;
    const notes = during ? await during(service) : undefined;
    const wrk = await running.result;
    const machineUse = machine();
    if (service.proc.exitCode === null) {
      cpu = cpuSeconds(pid) - cpu0;
      httpCpu = tids.length ? threadCpuSeconds(pid, tids) - httpCpu0 : NaN;
      rss = peakRssMiB(pid);
    }
    const acked = (wrk.requests - wrk.non2xx) * PAYLOADS_PER_REQUEST;
    // The sink counts what it holds when asked, and answers only then: a soak's tens of GB take it
    // minutes, past fetch's default 5-minute idle timeout, hence none. That time is the sink's, not
    // the service's, so the wait for landing leaves it out.
    let counting = 0;
    const stats = async () => {
      const asked = performance.now();
      const got = (await (await fetch(`${sinkUrl}/stats`, { timeout: false })).json()) as { payloads: number; sizes: number[]; requests: number };
      counting += performance.now() - asked;
      return got;
    };
    const ended = performance.now();
    const waited = () => performance.now() - ended - counting;
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
    while (waited() < LAND_WAIT_MS) {
      drainPeak();
      landed = (await stats()).payloads;
      if (landed >= acked) {
        landSecs = waited() / 1000;
        break;
      }
      // The open object completes at OBJECT_MAX_AGE_MS (a minute), or on SIGTERM: as an operator's
      // deploy would, stop the service once the batches are out, and count what its drain lands.
      if (!drained && waited() > DRAIN_AFTER_MS && service.proc.exitCode === null) {
        drained = true;
        service.proc.kill("SIGTERM");
      }
      await Bun.sleep(100);
    }
    drainPeak();
    const { sizes, requests } = await stats();
    const objectNotes = sizes.length ? objectSizes(sizes, requests, landed) : "";
    return {
      name,
      connections: load.connections,
      threads,
      wrk,
      acked,
      landed,
      landSecs,
      rss,
      cpu,
      httpCpu,
      ...machineUse,
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
