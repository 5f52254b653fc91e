// `bun run bench:scanner`: the one-pass validating scanner (src/http/scan-collection.ts) on the
// wrk load's collections (bench/telemetry.ts): microseconds per 2.3 KB body, against JSON.parse
// of the same bodies. The median of RUNS rounds of 200,000 bodies; one thread, no I/O.
import { scanCollection } from "../src/http/scan-collection.ts";
import { telemetryPayload } from "./telemetry.ts";

const RUNS = Number(process.env.RUNS ?? 7);
const PER_RUN = 200_000;
const bodies = Array.from({ length: 1_000 }, (_, n) =>
  new TextEncoder().encode(
    `{"version":"1.0","token":"bench-token","data":[${Array.from({ length: 10 }, (_, i) => telemetryPayload(1, n, i)).join(",")}]}`,
  ),
);
const decoder = new TextDecoder("utf-8", { fatal: true });

function median(work: (body: Uint8Array) => unknown): number {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    for (let k = 0; k < PER_RUN; k++) work(bodies[k % bodies.length]!);
    times.push(((performance.now() - started) * 1_000) / PER_RUN);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const bytes = bodies.reduce((n, b) => n + b.length, 0) / bodies.length;
console.log(`| what | µs per body (median of ${RUNS}) | MB/s |\n| --- | ---: | ---: |`);
for (const [name, work] of [
  ["scanCollection", (b: Uint8Array) => scanCollection(b)],
  ["JSON.parse after a fatal UTF-8 decode", (b: Uint8Array) => JSON.parse(decoder.decode(b))],
] as const) {
  const us = median(work);
  console.log(`| ${name} | ${us.toFixed(2)} | ${(bytes / us).toFixed(0)} |`);
}
console.log(`\n${bytes.toFixed(0)}-byte bodies of 10 payloads.`);
