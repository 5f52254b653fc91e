// `bun run bench`: the throughput benchmark. In one run, on 127.0.0.1 only, bounded in time:
// the service (compiled binary, default settings, and seed mode) and a bare Bun.serve ceiling,
// each under the same wrk load, the service writing to a local S3 sink that delays every PUT.
// Prints one markdown table. Settings (env): DURATION_SECS=30 CONNECTIONS=64 THREADS=2
// LATENCY_MS=25 SCENARIOS=ceiling,default,seed BENCH_TARGET=binary|source, and SERVICE_ENV
// ("K=V K=V") added to every service scenario, for comparing settings. CPU_PROF_DIR=dir runs
// the source under Bun's CPU profiler and leaves a markdown profile per scenario there.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const DURATION = Number(process.env.DURATION_SECS ?? 30);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const THREADS = Number(process.env.THREADS ?? 2);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 25);
const LAND_WAIT_MS = 5_000;
const PAYLOADS_PER_REQUEST = 10;
const SCENARIOS = (process.env.SCENARIOS ?? "ceiling,default,seed").split(",");
const TARGET = process.env.BENCH_TARGET ?? "binary";
const EXTRA_ENV = Object.fromEntries((process.env.SERVICE_ENV ?? "").split(/\s+/).filter(Boolean).map((kv) => kv.split("=", 2) as [string, string]));

interface Spawned {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
  dir: string;
}

/** Spawns a process that prints a JSON line with its port first, and waits for that line. */
async function spawnWithPort(command: string[], env: Record<string, string>): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), "s3-ingest-bench-"));
  const proc = Bun.spawn(command, { cwd: dir, env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env }, stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${command.join(" ")} exited before listening`);
    text += new TextDecoder().decode(value);
  }
  void (async () => {
    while (!(await reader.read()).done); // keep draining its logs
  })();
  return { proc, port: JSON.parse(text.slice(0, text.indexOf("\n"))).port, dir };
}

async function stop(s: Spawned): Promise<void> {
  s.proc.kill("SIGTERM");
  await s.proc.exited;
  rmSync(s.dir, { recursive: true, force: true });
}

const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
};
const peakRssMiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+)/)![1]) / 1024;

const toMs = (v: string) => {
  const n = parseFloat(v);
  return v.endsWith("us") ? n / 1000 : v.endsWith("ms") ? n : v.endsWith("s") ? n * 1000 : n;
};

interface WrkResult {
  requests: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
  p50: number;
  p99: number;
}

async function wrk(port: number): Promise<WrkResult> {
  const proc = Bun.spawn(
    ["wrk", `-t${THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION}s`, "--timeout", "10s", "--latency", "-s", join(ROOT, "bench/collect.lua"), `http://127.0.0.1:${port}/v1/collect`],
    { stdout: "pipe", stderr: "inherit" },
  );
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`wrk failed:\n${out}`);
  const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    requests: Number(out.match(/(\d+) requests in/)![1]),
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)![1]),
    non2xx: Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
    p50: toMs(out.match(/^\s+50%\s+(\S+)$/m)![1]!),
    p99: toMs(out.match(/^\s+99%\s+(\S+)$/m)![1]!),
  };
}

async function serviceCommand(): Promise<string[]> {
  // CPU_PROF_DIR: profile the source and write a markdown CPU profile there on exit.
  const profile = process.env.CPU_PROF_DIR ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(process.env.CPU_PROF_DIR)}`] : [];
  // BUN_FLAGS: runtime flags for the source (e.g. --smol), for experiments.
  const flags = (process.env.BUN_FLAGS ?? "").split(/\s+/).filter(Boolean);
  if (TARGET === "source" || profile.length || flags.length) return [process.execPath, ...flags, ...profile, join(ROOT, "src/main.ts")];
  const outfile = join(mkdtempSync(join(tmpdir(), "s3-ingest-bench-bin-")), "s3-ingest");
  const built = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, env: { ...process.env, BUILD_OUTFILE: outfile }, stdout: "ignore" });
  if (built.exitCode !== 0) throw new Error(built.stderr.toString());
  return [outfile];
}

interface Row {
  name: string;
  wrk: WrkResult;
  acked?: number;
  landed?: number;
  landSecs?: number;
  rss: number;
  cpu: number;
}

async function runService(name: string, command: string[], env: Record<string, string>): Promise<Row> {
  const sink = await spawnWithPort([process.execPath, join(ROOT, "bench/sink.ts")], { LATENCY_MS: String(LATENCY_MS) });
  const sinkUrl = `http://127.0.0.1:${sink.port}`;
  const service = await spawnWithPort(command, {
    S3_BUCKET: "bench",
    S3_ENDPOINT: sinkUrl,
    S3_FORCE_PATH_STYLE: "true",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    ...env,
    ...EXTRA_ENV,
  });
  try {
    const cpu0 = cpuSeconds(service.proc.pid);
    const result = await wrk(service.port);
    const cpu = cpuSeconds(service.proc.pid) - cpu0;
    const rss = peakRssMiB(service.proc.pid);
    const acked = (result.requests - result.non2xx) * PAYLOADS_PER_REQUEST;
    const stats = async () => (await (await fetch(`${sinkUrl}/stats`)).json()) as { records: number };
    const ended = performance.now();
    let landed = 0;
    let landSecs = NaN;
    while (performance.now() - ended < 60_000) {
      landed = (await stats()).records;
      if (landed >= acked) {
        landSecs = (performance.now() - ended) / 1000;
        break;
      }
      await Bun.sleep(100);
    }
    return { name, wrk: result, acked, landed, landSecs, rss, cpu };
  } finally {
    await stop(service);
    await stop(sink);
  }
}

async function runCeiling(): Promise<Row> {
  const server = await spawnWithPort([process.execPath, join(ROOT, "bench/ceiling.ts")], {});
  try {
    const cpu0 = cpuSeconds(server.proc.pid);
    const result = await wrk(server.port);
    return { name: "ceiling: bare Bun.serve + JSON.parse", wrk: result, rss: peakRssMiB(server.proc.pid), cpu: cpuSeconds(server.proc.pid) - cpu0 };
  } finally {
    await stop(server);
  }
}

if (!Bun.which("wrk")) {
  console.error("bench: wrk is not installed. It is the load driver: apt-get install wrk (Debian/Ubuntu).");
  process.exit(2);
}
const command = SCENARIOS.some((s) => s !== "ceiling") ? await serviceCommand() : [];
const rows: Row[] = [];
for (const scenario of SCENARIOS) {
  if (scenario === "ceiling") rows.push(await runCeiling());
  else if (scenario === "default") rows.push(await runService("s3-ingest, default settings", command, {}));
  else if (scenario === "seed") rows.push(await runService("s3-ingest, seed mode", command, { BATCH_MAX_RECORDS: "1", COMPRESSION: "none", MAX_WORKERS: "256" }));
  else throw new Error(`unknown scenario ${scenario}`);
}

const ceiling = rows.find((r) => r.name.startsWith("ceiling"))?.wrk.rps;
const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
console.log(
  `\n${DURATION} s per scenario, wrk -t${THREADS} -c${CONNECTIONS}, ${PAYLOADS_PER_REQUEST} payloads per request, sink latency ${LATENCY_MS} ms, target ${TARGET}` +
    (Object.keys(EXTRA_ENV).length ? `, SERVICE_ENV: ${process.env.SERVICE_ENV}` : "") +
    "\n",
);
console.log("| scenario | req/s | vs ceiling | p50 ms | p99 ms | non-2xx | socket errors | payloads acked | landed | lost | all landed after | payloads/s landed | peak RSS MiB | CPU s |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  const lost = r.acked === undefined ? undefined : Math.max(0, r.acked - r.landed!);
  const landedOk = r.landSecs !== undefined && !Number.isNaN(r.landSecs) ? `${fmt(r.landSecs, 1)} s` : r.acked === undefined ? "" : "> 60 s";
  console.log(
    `| ${r.name} | ${fmt(r.wrk.rps)} | ${ceiling && r.acked !== undefined ? `${fmt((100 * r.wrk.rps) / ceiling)}%` : ""} | ${fmt(r.wrk.p50, 2)} | ${fmt(r.wrk.p99, 2)} | ${fmt(r.wrk.non2xx)} | ${fmt(r.wrk.socketErrors)} | ${fmt(r.acked)} | ${fmt(r.landed)} | ${fmt(lost)} | ${landedOk} | ${r.landed === undefined ? "" : fmt(r.landed / DURATION)} | ${fmt(r.rss, 1)} | ${fmt(r.cpu, 1)} |`,
  );
}
if (command[0]?.includes("s3-ingest-bench-bin-")) rmSync(resolve(command[0], ".."), { recursive: true, force: true });
