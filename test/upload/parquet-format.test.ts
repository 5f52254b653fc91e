// Parquet objects written by the real writer, read back by readers nobody here wrote: pyarrow
// and DuckDB. Each object is written to a file and read whole.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseColumns } from "../../src/columns.ts";
import { metaPrefix } from "../../src/partition/line-prefix.ts";
import { ObjectWriter } from "../../src/upload/object-writer.ts";
import { type ParquetCodec, parquetFormat } from "../../src/upload/parquet-format.ts";
import { MemoryStore } from "../support/memory-store.ts";
import { tempDir } from "../support/temp-dir.ts";
import { uploadDeps, uploadOptions } from "../support/uploader.ts";

const hasPyarrow = spawnSync("python3", ["-c", "import pyarrow, duckdb"], { stdio: "ignore" }).status === 0;
const skipped = hasPyarrow ? "" : " (skipped: python3 with pyarrow and duckdb is not installed; .ci/run installs them)";
const enc = new TextEncoder();
const PART = 64 * 1024;
const COLUMNS = "event:string,n:bigint,score:double,ok:boolean,t:timestamp_ms,day:date,counters.cpu_ms:bigint,raw:json";

// Each Python start imports pyarrow or DuckDB: a second or more on a busy machine.
setDefaultTimeout(60_000);

/** Runs Python with `paths` as its arguments; returns what it printed, a JSON document a line (the readers below: one per path). */
function python(script: string, ...paths: string[]): unknown[] {
  const out = spawnSync("python3", ["-c", script, ...paths], { encoding: "utf8", maxBuffer: 256 << 20 });
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

const PYARROW = `
import sys, json, pyarrow.parquet as pq
for path in sys.argv[1:]:
  f = pq.ParquetFile(path)
  t = f.read()
  md = f.metadata
  print(json.dumps({
    "rows": t.num_rows,
    "row_groups": md.num_row_groups,
    "types": {field.name: str(field.type) for field in t.schema},
    "codecs": sorted({md.row_group(g).column(c).compression for g in range(md.num_row_groups) for c in range(md.num_columns)}),
    "compressed": sum(md.row_group(g).column(c).total_compressed_size for g in range(md.num_row_groups) for c in range(md.num_columns)),
    "uncompressed": sum(md.row_group(g).column(c).total_uncompressed_size for g in range(md.num_row_groups) for c in range(md.num_columns)),
    "columns": {name: [None if v is None else (str(v) if not isinstance(v, (bool, float, str)) else v) for v in t.column(name).to_pylist()] for name in t.column_names},
  }))
`;

const DUCKDB = `
import sys, json, duckdb
for path in sys.argv[1:]:
  rows = duckdb.sql(f"select event, n::varchar as n, counters_cpu, t::varchar as t, day::varchar as day, _extra from (select *, \\"counters.cpu_ms\\"::varchar as counters_cpu from read_parquet('{path}'))").fetchall()
  print(json.dumps(rows))
`;

function setup(codec: ParquetCodec = "zstd", objectMaxBytes = 1 << 30) {
  const mismatches: number[] = [];
  const format = parquetFormat({
    columns: parseColumns(COLUMNS),
    codec,
    level: 0,
    extra: true,
    createdBy: "s3-ingest test",
    onMismatch: (c) => void mismatches.push(c),
  });
  const store = new MemoryStore(PART);
  const { logs: _logs, ...deps } = uploadDeps({ store });
  const writer = new ObjectWriter(uploadOptions({ format, loops: 1, maxAgeMs: 60_000, partBytes: PART, objectMaxBytes }), deps);
  const append = async (payloads: string[]) => {
    const batch = { ndjson: enc.encode(payloads.map((p) => `${p}\n`).join("")), payloads: payloads.length };
    await writer.append({ batch, release: () => {} }, await format.encode(batch));
  };
  return { format, store, writer, append, mismatches };
}

const PAYLOADS = [
  '{"event":"boot","n":9223372036854775807,"score":0.5,"ok":true,"t":1796283000250,"day":"2026-12-03","counters":{"cpu_ms":7,"mem":1},"raw":{"a":[1,2]},"x":"é😀"}',
  '{"event":"héllo \\"quoted\\"","n":-9223372036854775808,"t":"2026-12-03T07:30:00.250Z"}',
  '{"event":5,"n":"abc","extra":{"deep":[null,true]}}',
  '{"n":12345678901234567890}',
  "[1,2,3]",
];

describe("the Parquet format", () => {
  it.skipIf(!hasPyarrow)(
    `writes objects that pyarrow reads whole: the declared types, 64-bit integers exact, unicode, _extra${skipped}`,
    async () => {
      using dir = tempDir("parquet-");
      const t = setup();
      await t.append(PAYLOADS.slice(0, 3));
      await t.append(PAYLOADS.slice(3));
      await t.writer.close();
      const [key, object] = [...t.store.objects][0]!;
      expect(key).toEndWith(".parquet");
      const path = join(dir.path, "o.parquet");
      writeFileSync(path, object!.body);
      const got = (python(PYARROW, path) as (Record<string, unknown> & { columns: Record<string, unknown[]> })[])[0]!;
      expect(got.rows).toBe(5);
      expect(got.row_groups).toBe(2);
      expect(got.types).toEqual({
        event: "string",
        n: "int64",
        score: "double",
        ok: "bool",
        t: "timestamp[ms, tz=UTC]",
        day: "date32[day]",
        "counters.cpu_ms": "int64",
        raw: "string",
        _received_at: "timestamp[ms, tz=UTC]",
        _version: "string",
        _extra: "string",
      });
      expect(got.codecs).toEqual(["ZSTD"]);
      expect(got.columns.n).toEqual(["9223372036854775807", "-9223372036854775808", null, null, null]);
      expect(got.columns.event).toEqual(["boot", 'héllo "quoted"', null, null, null]);
      expect(got.columns.t).toEqual(["2026-12-03 07:30:00.250000+00:00", "2026-12-03 07:30:00.250000+00:00", null, null, null]);
      expect(got.columns.day).toEqual(["2026-12-03", null, null, null, null]);
      expect(got.columns["counters.cpu_ms"]).toEqual(["7", null, null, null, null]);
      expect(got.columns.raw).toEqual(['{"a":[1,2]}', null, null, null, null]);
      expect(got.columns._extra!.map((e) => (e === null ? null : JSON.parse(e as string)))).toEqual([
        { counters: { mem: 1 }, x: "é😀" },
        null,
        { event: 5, n: "abc", extra: { deep: [null, true] } },
        { n: Number("12345678901234567890") }, // past 64 bits: kept as sent (JSON.parse here rounds it; the bytes are exact, below)
        [1, 2, 3],
      ]);
      expect(got.columns._extra![3]).toBe('{"n":12345678901234567890}');
      expect(t.mismatches.sort()).toEqual([0, 1, 1]); // event 5, n "abc", n past 64 bits
    },
  );

  it.skipIf(!hasPyarrow)(`writes objects DuckDB reads, and whose footer names the codec each page was compressed with${skipped}`, async () => {
    using dir = tempDir("parquet-");
    const codecs = ["zstd", "snappy", "gzip", "none"] as const;
    const paths: string[] = [];
    for (const codec of codecs) {
      const t = setup(codec);
      // Compressible payloads: a codec that did not compress would leave the pages at their size.
      await t.append(Array.from({ length: 2000 }, (_, i) => `{"event":"heartbeat","n":${i},"x":"${"abc".repeat(20)}"}`));
      await t.writer.close();
      paths.push(join(dir.path, `${codec}.parquet`));
      writeFileSync(paths.at(-1)!, [...t.store.objects.values()][0]!.body);
    }
    const read = python(PYARROW, ...paths) as { compressed: number; uncompressed: number; codecs: string[] }[];
    const sizes = Object.fromEntries(codecs.map((codec, i) => [codec, read[i]!]));
    const byDuckdb = python(DUCKDB, ...paths) as unknown[][][];
    expect(byDuckdb).toHaveLength(4);
    for (const rows of byDuckdb) {
      expect(rows).toHaveLength(2000);
      expect(rows[1999]).toEqual(["heartbeat", "1999", null, null, null, `{"x":"${"abc".repeat(20)}"}`]);
    }
    expect(read).toHaveLength(4);
    expect(sizes.zstd!.codecs).toEqual(["ZSTD"]);
    expect(sizes.snappy!.codecs).toEqual(["SNAPPY"]);
    expect(sizes.gzip!.codecs).toEqual(["GZIP"]);
    expect(sizes.none!.codecs).toEqual(["UNCOMPRESSED"]);
    // Pages labelled with a codec they were not compressed with would not have read above.
    for (const codec of ["zstd", "snappy", "gzip"]) expect(sizes[codec]!.compressed).toBeLessThan(sizes[codec]!.uncompressed);
    expect(sizes.none!.compressed).toBe(sizes.none!.uncompressed);
  });

  it.skipIf(!hasPyarrow)(`streams a large object through multipart parts that end on row groups, one valid file${skipped}`, async () => {
    using dir = tempDir("parquet-");
    const t = setup("zstd", 4 * PART);
    let sent = 0;
    while (t.store.objects.size === 0) {
      const batch = Array.from({ length: 500 }, (_, i) => `{"event":"${crypto.randomUUID()}","n":${sent + i}}`);
      await t.append(batch);
      sent += batch.length;
    }
    const object = [...t.store.objects.values()][0]!;
    expect(object.parts).toBeGreaterThanOrEqual(2);
    const path = join(dir.path, "big.parquet");
    writeFileSync(path, object.body);
    const script = `import sys, json, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
n = t.column("n").to_pylist()
print(json.dumps({"rows": t.num_rows, "in_order": n == list(range(len(n))), "groups": pq.ParquetFile(sys.argv[1]).metadata.num_row_groups}))`;
    expect(python(script, path)).toEqual([{ rows: sent, in_order: true, groups: sent / 500 }]);
  });

  it("turns row groups not uploaded back into the NDJSON of their payloads at the shutdown deadline", async () => {
    const t = setup();
    await t.append(PAYLOADS.slice(0, 3));
    await t.append(PAYLOADS.slice(3));
    const { batches } = await t.writer.stop();
    const lines = batches.flatMap((b) => new TextDecoder().decode(b.ndjson).split("\n").filter(Boolean));
    expect(lines).toHaveLength(5);
    // Encoded again, they are the same rows: the NDJSON carries every value and every extra field.
    const again = await t.format.encode({ ndjson: enc.encode(lines.map((l) => `${l}\n`).join("")), payloads: lines.length });
    const first = await t.format.encode({ ndjson: enc.encode(PAYLOADS.map((p) => `${p}\n`).join("")), payloads: PAYLOADS.length });
    expect(again.body).toEqual(first.body);
    expect(lines[0]).toBe(
      '{"counters":{"mem":1,"cpu_ms":7},"x":"é😀","event":"boot","n":9223372036854775807,"score":0.5,"ok":true,"t":1796283000250,"day":"2026-12-03","raw":{"a":[1,2]}}',
    );
  });

  it.skipIf(!hasPyarrow)(
    `at the deadline completes an upload with its parts and a footer for the row groups in them, a file pyarrow reads${skipped}`,
    async () => {
      using dir = tempDir("parquet-");
      const t = setup();
      let sent = 0;
      while (t.store.calls.filter((c) => c.startsWith("part")).length < 2) {
        await t.append(Array.from({ length: 500 }, (_, i) => `{"event":"${crypto.randomUUID()}","n":${sent + i}}`));
        sent += 500;
      }
      await t.writer.whenSettled();
      t.store.failNext(1_000); // the store is gone: what is not in a part stays
      await t.append(Array.from({ length: 500 }, (_, i) => `{"event":"late","n":${sent + i}}`));
      sent += 500;
      const { batches, uploads } = await t.writer.stop();
      expect(uploads).toHaveLength(1);
      const [upload] = uploads;
      t.store.recover();
      // What the upload side does at the deadline: the footer as one more part, then Complete.
      const partNumber = Math.max(...upload!.parts.map((p) => p.partNumber)) + 1;
      const etag = await t.store.multipart.uploadPart(upload!.key, upload!.uploadId, partNumber, upload!.tail);
      await t.store.multipart.complete(upload!.key, upload!.uploadId, [...upload!.parts, { partNumber, etag }]);
      const path = join(dir.path, "deadline.parquet");
      writeFileSync(path, t.store.objects.get(upload!.key)!.body);
      const script = `import sys, json, pyarrow.parquet as pq
print(json.dumps(sorted(pq.read_table(sys.argv[1]).column("n").to_pylist())))`;
      const inObject = (python(script, path) as number[][])[0]!;
      const saved = batches.flatMap((b) => new TextDecoder().decode(b.ndjson).split("\n").filter(Boolean)).map((l) => Number(JSON.parse(l).n));
      expect(inObject.length).toBe(upload!.payloads);
      expect([...inObject, ...saved].sort((a, b) => a - b)).toEqual(Array.from({ length: sent }, (_, i) => i));
    },
  );

  it.skipIf(!hasPyarrow)(`fills _received_at and _version from the lines' prefixes, and keeps them across the deadline${skipped}`, async () => {
    using dir = tempDir("parquet-");
    const t = setup();
    const dec = new TextDecoder();
    const lines = [
      dec.decode(metaPrefix(1796283000250, "1.0")) + PAYLOADS[0],
      dec.decode(metaPrefix(1796283000999, 'v"2\u001e', "version=v%222%1E")) + PAYLOADS[1], // with a partition in front, and a hostile version
      PAYLOADS[2]!, // no prefix: a line from a spool an NDJSON run left
    ];
    const batch = { ndjson: enc.encode(lines.map((l) => `${l}\n`).join("")), payloads: 3 };
    await t.writer.append({ batch, release: () => {} }, await t.format.encode(batch));
    const { batches } = await t.writer.stop();
    // At the deadline the prefixes come back, so the next start writes the same values.
    const saved = batches.flatMap((b) => dec.decode(b.ndjson).split("\n").filter(Boolean));
    expect(saved[0]!.startsWith(dec.decode(metaPrefix(1796283000250, "1.0")))).toBe(true);
    const frame = await t.format.encode({ ndjson: enc.encode(saved.map((l) => `${l}\n`).join("")), payloads: 3 });
    const body = new Uint8Array([
      ...t.format.head,
      ...frame.body,
      ...t.format.tail([{ offset: 4, length: frame.body.length, payloads: 3, meta: frame.meta }]),
    ]);
    const path = join(dir.path, "meta.parquet");
    writeFileSync(path, body);
    const got = (python(PYARROW, path) as { columns: Record<string, unknown[]> }[])[0]!;
    expect(got.columns._received_at).toEqual(["2026-12-03 07:30:00.250000+00:00", "2026-12-03 07:30:00.999000+00:00", null]);
    expect(got.columns._version).toEqual(["1.0", 'v"2\u001e', null]);
    expect(got.columns.event).toEqual(["boot", 'héllo "quoted"', null]);
  });
});
