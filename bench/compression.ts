// `bun run bench:compression`: the codecs on synthetic telemetry NDJSON (bench/telemetry.ts),
// as the upload loops call them (off the event loop): time per batch and compression ratio.
import { type Compression, ndjsonFormat } from "../src/upload/ndjson-format.ts";
import { telemetryNdjson } from "./telemetry.ts";

const MiB = 1024 * 1024;
const RUNS = 5;
console.log("| codec | level | batch | ms per batch (median of 5) | MiB/s | ratio |\n| --- | ---: | ---: | ---: | ---: | ---: |");
for (const size of [2 * MiB, 8 * MiB]) {
  const ndjson = telemetryNdjson(size);
  const payloads = ndjson.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
  for (const [codec, level] of [
    ["zstd", 1],
    ["zstd", 3],
    ["gzip", 1],
    ["gzip", 6],
  ] as [Compression, number][]) {
    const format = ndjsonFormat(codec, level);
    const times: number[] = [];
    let out = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      out = (await format.encode({ ndjson, payloads })).body.length;
      times.push(performance.now() - started);
    }
    const ms = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
    console.log(
      `| ${codec} | ${level} | ${size / MiB} MiB | ${ms.toFixed(1)} | ${(size / MiB / (ms / 1000)).toFixed(0)} | ${(ndjson.length / out).toFixed(2)} |`,
    );
  }
}
