// SCENARIOS=soak: the service at the default HTTP_THREADS under 64 connections for SOAK_SECS
// (600), long enough for the upload side to fall behind on shared cores if it ever does (10 s
// runs never show it). It holds when no request gets a non-2xx or a socket error, nothing
// acknowledged is lost, and RSS stays flat: the last minute's peak within 10% of the second's.
import { rssMiB, type Spawned } from "./processes.ts";
import { type Row, runService } from "./rows.ts";
import { fmt } from "./table.ts";

interface Minute {
  rss: number;
  /** The buffer's highest fill seen, bytes over capacity, and most requests held for room. */
  fill: number;
  waiting: number;
}

/** One gauge's value in a /metrics text (the sum over its series). */
const gauge = (text: string, name: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);

export async function soak(target: string, seconds: number): Promise<{ row: Row; verdict: string[] }> {
  const minutes: Minute[] = [];
  const watch = async (service: Spawned) => {
    const started = performance.now();
    while (performance.now() - started < seconds * 1000 && service.proc.exitCode === null) {
      const minute = Math.floor((performance.now() - started) / 60_000);
      minutes[minute] ??= { rss: 0, fill: 0, waiting: 0 };
      const m = minutes[minute];
      try {
        m.rss = Math.max(m.rss, rssMiB(service.proc.pid));
        const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
        m.fill = Math.max(m.fill, gauge(text, "s3_ingest_buffer_bytes") / gauge(text, "s3_ingest_buffer_capacity_bytes"));
        m.waiting = Math.max(m.waiting, gauge(text, "s3_ingest_requests_waiting_for_room"));
      } catch {
        // the process ended between the check and the read
      }
      await Bun.sleep(1_000);
    }
    return `by minute, peak RSS MiB: ${minutes.map((m) => fmt(m.rss)).join(", ")}; peak buffer fill %: ${minutes.map((m) => fmt(m.fill * 100)).join(", ")}; most requests held for room: ${minutes.map((m) => m.waiting).join(", ")}`;
  };
  const row = await runService(`soak, ${seconds} s, default settings (${target})`, target, { connections: 64, seconds }, {}, watch);
  const second = minutes[1]?.rss ?? NaN;
  const last = minutes.at(-1)?.rss ?? NaN;
  const lost = row.acked! - row.landed!;
  const verdict = [
    `non-2xx ${row.wrk.non2xx}, socket errors ${row.wrk.socketErrors}: ${row.wrk.non2xx + row.wrk.socketErrors === 0 ? "holds" : "FAILS"}`,
    `lost ${Math.max(0, lost)} of ${fmt(row.acked)} acknowledged payloads: ${lost <= 0 ? "holds" : "FAILS"}`,
    `RSS: the last minute's peak ${fmt(last)} MiB against the second minute's ${fmt(second)} MiB (${fmt(((last - second) / second) * 100, 1)}%): ${Math.abs(last - second) <= 0.1 * second ? "holds" : "FAILS"}`,
  ];
  return { row, verdict };
}
