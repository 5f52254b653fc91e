// The load: wrk (a native tool, so it takes little of the CPU the service needs) posting the
// collections of bench/collect.lua, parsed into numbers.
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

export interface WrkOptions {
  port: number;
  connections: number;
  threads: number;
  durationSecs: number;
  /** `Connection: close` on every request: every request is a new TCP connection. */
  churn?: boolean;
  /** Payloads get a field "part" with this many values (collect.lua's BENCH_PARTITIONS), for PARTITION_BY=part. */
  partitions?: number;
}

export interface WrkResult {
  requests: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
  p50: number;
  p99: number;
}

const toMs = (v: string) => {
  const n = parseFloat(v);
  return v.endsWith("us") ? n / 1000 : v.endsWith("ms") ? n : v.endsWith("s") ? n * 1000 : n;
};

export function startWrk(o: WrkOptions): { result: Promise<WrkResult> } {
  const args = [
    "wrk",
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationSecs}s`,
    "--timeout",
    "10s",
    "--latency",
    "-s",
    join(ROOT, "bench/collect.lua"),
  ];
  if (o.churn) args.push("-H", "Connection: close");
  const env = o.partitions ? { ...process.env, BENCH_PARTITIONS: String(o.partitions) } : process.env;
  const proc = Bun.spawn([...args, `http://127.0.0.1:${o.port}/v1/collect`], { stdout: "pipe", stderr: "inherit", env });
  const result = (async () => {
    const out = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`wrk failed:\n${out}`);
    const latency = (p: string) => {
      const m = out.match(new RegExp(`^\\s+${p}%\\s+(\\S+)$`, "m"));
      return m ? toMs(m[1]!) : NaN;
    };
    if (!/requests in/.test(out)) throw new Error(`wrk printed no result:\n${out}`);
    const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
    return {
      requests: Number(out.match(/(\d+) requests in/)![1]),
      rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)![1]),
      non2xx: Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
      socketErrors: socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
      p50: latency("50"),
      p99: latency("99"),
    };
  })();
  return { result };
}
