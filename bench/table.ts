// The bench's tables, in Markdown as BENCHMARKS.md takes them.
import type { Row } from "./rows.ts";

export const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? "" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lost = (r: Row) => (r.acked === undefined ? undefined : Math.max(0, r.acked - r.landed!));
/** CPU µs per request answered: `seconds` of CPU over the row's requests. */
export const usPerRequest = (r: Row, seconds = r.cpu) => (Number.isNaN(seconds) ? NaN : (seconds * 1e6) / r.wrk.requests);
const ratio = (r: Row, ceiling: Row | undefined) => (ceiling && r.acked !== undefined ? (r.wrk.rps / ceiling.wrk.rps).toFixed(2) : "");
const percent = (share: number) => (Number.isNaN(share) ? "" : `${(share * 100).toFixed(0)}%`);
const landedAfter = (r: Row) => (r.acked === undefined ? "" : Number.isNaN(r.landSecs!) ? "> 60 s" : `${fmt(r.landSecs, 1)} s`);

export function table(title: string, rows: Row[], ceilingFor: (r: Row) => Row | undefined) {
  console.log(`\n${title}\n`);
  console.log(
    "| scenario | connections | HTTP threads | req/s | vs ceiling | CPU µs/req | HTTP threads' CPU µs/req | machine busy | p50 ms | p99 ms | non-2xx | socket errors | payloads acked | lost | all landed after | peak RSS MiB | notes |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.connections)} | ${r.threads} | ${fmt(r.wrk.rps)} | ${ratio(r, ceilingFor(r))} | ${fmt(usPerRequest(r), 1)} | ${fmt(usPerRequest(r, r.httpCpu), 1)} | ${percent(r.machineBusy)} | ${fmt(r.wrk.p50, 2)} | ${fmt(r.wrk.p99, 2)} | ${fmt(r.wrk.non2xx)} | ${fmt(r.wrk.socketErrors)} | ${fmt(r.acked)} | ${fmt(lost(r))} | ${landedAfter(r)} | ${fmt(r.rss, 1)} | ${r.notes ?? ""} |`,
    );
  }
}
