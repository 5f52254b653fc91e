// Processes under test: spawned on 127.0.0.1 with their logs collected (with the time each line
// arrived), and their CPU time and peak RSS read from /proc.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Spawned {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
  dir: string;
  /** Every JSON log line with the performance.now() at which it arrived. */
  logs: { at: number; line: Record<string, unknown> }[];
}

/** Spawns a process that logs a JSON line with its port first, and waits for that line. */
export async function spawnWithPort(command: string[], env: Record<string, string>): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), "s3-ingest-bench-"));
  const proc = Bun.spawn(command, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const logs: Spawned["logs"] = [];
  let port = 0;
  const ready = Promise.withResolvers<void>();
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
        const text = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          logs.push({ at: performance.now(), line });
          if (!port && typeof line.port === "number") {
            port = line.port;
            ready.resolve();
          }
        } catch {
          // not a JSON line: ignore
        }
      }
    }
    ready.reject(new Error(`${command.join(" ")} exited before listening`));
  })();
  await ready.promise;
  return { proc, port, dir, logs };
}

export async function stop(s: Spawned): Promise<number> {
  if (s.proc.exitCode === null) s.proc.kill("SIGTERM");
  const code = await s.proc.exited;
  rmSync(s.dir, { recursive: true, force: true });
  return code;
}

/** User + system CPU seconds from a /proc stat file (a process's, all its threads, or one thread's). */
const statCpuSeconds = (path: string) => {
  const fields = readFileSync(path, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
};

/** User + system CPU seconds of a process, all its threads included. */
export const cpuSeconds = (pid: number) => statCpuSeconds(`/proc/${pid}/stat`);

/** A kB field of /proc/PID/status, in MiB. */
const statusMiB = (pid: number, field: "VmHWM" | "VmRSS") =>
  Number(readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+)`))![1]) / 1024;

/** Peak resident set of a process, MiB. */
export const peakRssMiB = (pid: number) => statusMiB(pid, "VmHWM");

/** User + system CPU seconds of some of a process's threads (OS thread ids); a thread gone counts 0. */
export const threadCpuSeconds = (pid: number, tids: number[]) =>
  tids.reduce((sum, tid) => {
    try {
      return sum + statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      return sum;
    }
  }, 0);

/** Current resident set of a process, MiB. */
export const rssMiB = (pid: number) => statusMiB(pid, "VmRSS");

/**
 * Busy and total CPU seconds of the whole machine so far, every core (/proc/stat): the service,
 * wrk and the kernel's loopback work together. Idle and iowait are the only time not busy.
 */
export function machineCpuSeconds(): { busy: number; total: number } {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3]! - ticks[4]!) / 100, total: total / 100 };
}
