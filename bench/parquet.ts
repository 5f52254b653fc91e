// `bun run bench:parquet`: the object formats' encoders on synthetic telemetry (bench/telemetry.ts),
// as the upload loops call them: CPU time per payload and bytes per payload, NDJSON (zstd) against
// Parquet with each codec. A batch of BATCH payloads at a time, the median of RUNS runs.
import { parseColumns } from "../src/columns.ts";
import { ndjsonFormat } from "../src/upload/ndjson-format.ts";
import { type ParquetCodec, parquetFormat } from "../src/upload/parquet-format.ts";
import { telemetryNdjson } from "./telemetry.ts";

const MiB = 1024 * 1024;
const RUNS = 5;
const COLUMNS =
  "id:string,ts:timestamp_ms,host:string,os:string,agent:string,event:string,cpu:double,mem:bigint,ok:boolean,threats:bigint,sig:string";
const ndjson = telemetryNdjson(2 * MiB);
const payloads = ndjson.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
const batch = { ndjson, payloads };

const formats: [string, () => ReturnType<typeof ndjsonFormat>][] = [
  ["NDJSON, zstd 1", () => ndjsonFormat("zstd")],
  ...(["zstd", "snappy", "gzip", "none"] as ParquetCodec[]).map((codec): [string, () => ReturnType<typeof ndjsonFormat>] => [
    `Parquet, ${codec} (11 columns, path in _extra)`,
    () => parquetFormat({ columns: parseColumns(COLUMNS), codec, level: 0, extra: true, createdBy: "bench" }),
  ]),
];
console.log(`${payloads} payloads per batch (${(ndjson.length / MiB).toFixed(1)} MiB of NDJSON)\n`);
console.log("| format | µs per payload (median of 5) | bytes per payload | ratio |\n| --- | ---: | ---: | ---: |");
for (const [name, make] of formats) {
  const format = make();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    bytes = (await format.encode(batch)).body.length;
    times.push(performance.now() - started);
  }
  const ms = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  console.log(`| ${name} | ${((ms * 1000) / payloads).toFixed(2)} | ${(bytes / payloads).toFixed(1)} | ${(ndjson.length / bytes).toFixed(2)} |`);
}
