// The Parquet object format (FORMAT=parquet): an object is one Parquet file. Its head is the
// magic `PAR1`; each frame is one row group, a batch's payloads split by the declared columns
// (schema/read-payload.ts) and encoded column by column with hyparquet-writer, its pages
// compressed with the codec; the tail is the footer, the file's metadata naming every row group
// at its offset in the object, then its length and `PAR1`. A frame's meta is its row group's
// metadata with offsets from the frame's start, so row groups can be encoded in any order and
// placed wherever they land. Every row also has `_received_at` and `_version`: when its payload
// was received and its collection's version, which the HTTP thread put in the line's prefix
// (partition/line-prefix.ts; null for lines without, from a spool an NDJSON run left). Fields no
// column takes go to the `_extra` column as their exact
// JSON (unless turned off); a value that does not fit its column is null there, kept in
// `_extra`, and reported to `onMismatch`. At the shutdown deadline, row groups not uploaded are
// read back (hyparquet) and written as the NDJSON of their payloads (schema/payload-text.ts).

import { gunzipSync, gzipSync, zstdDecompressSync } from "node:zlib";
import { parquetReadObjects, type RowGroup, type SchemaElement } from "hyparquet";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import type { Column, ColumnType } from "../columns.ts";
import { lineMeta, metaPrefix, payloadStart } from "../partition/line-prefix.ts";
import { type Batch, eachLine } from "../queue/batch.ts";
import { zstdCompressSync } from "../runtime.ts";
import { payloadText } from "../schema/payload-text.ts";
import { payloadReader } from "../schema/read-payload.ts";
import type { Frame, ObjectFormat, PlacedFrame } from "./format.ts";

export type ParquetCodec = "zstd" | "snappy" | "gzip" | "none";

export interface ParquetOptions {
  columns: readonly Column[];
  codec: ParquetCodec;
  /** The codec's level (zstd, gzip); 0: its default. */
  level: number;
  /** Whether fields no column takes are kept in `_extra`. */
  extra: boolean;
  /** Told each value that did not fit its column, by the column's index. */
  onMismatch?: (column: number) => void;
  /** Written in the footer: `s3-ingest 0.1.0`. */
  createdBy: string;
}

/** The column of the fields no declared column takes. */
export const EXTRA_COLUMN = "_extra";
/** When each payload was received (the HTTP thread's clock), and its collection's envelope version. */
export const RECEIVED_COLUMN = "_received_at";
export const VERSION_COLUMN = "_version";
const MAGIC = 0x31524150; // "PAR1", little-endian
const CODECS = { zstd: "ZSTD", snappy: "SNAPPY", gzip: "GZIP", none: "UNCOMPRESSED" } as const;
/** Target size of a data page before compression: readers skip by page within a row group. */
const PAGE_BYTES = 1024 * 1024;

const PHYSICAL: Record<ColumnType, Omit<SchemaElement, "name">> = {
  string: { type: "BYTE_ARRAY", converted_type: "UTF8" },
  json: { type: "BYTE_ARRAY", converted_type: "UTF8" },
  bigint: { type: "INT64" },
  double: { type: "DOUBLE" },
  boolean: { type: "BOOLEAN" },
  timestamp_ms: { type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } },
  date: { type: "INT32", converted_type: "DATE" },
};

/** The metadata with every `*_offset` moved by `by` bytes. */
function moved<T>(metadata: T, by: bigint): T {
  if (Array.isArray(metadata)) return metadata.map((m) => moved(m, by)) as T;
  if (metadata === null || typeof metadata !== "object" || ArrayBuffer.isView(metadata)) return metadata;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    out[key] = key.endsWith("_offset") && typeof value === "bigint" ? value + by : key === "statistics" ? value : moved(value, by);
  }
  return out as T;
}

/**
 * @example
 * const format = parquetFormat({ columns: parseColumns("event:string,n:bigint"), codec: "zstd", level: 0, extra: true, createdBy: "s3-ingest" });
 * const frame = await format.encode(batch); // one row group
 */
export function parquetFormat(options: ParquetOptions): ObjectFormat {
  const { columns, extra: keepExtra } = options;
  const read = payloadReader(columns);
  const schema: SchemaElement[] = [
    { name: "root", num_children: columns.length + 2 + (keepExtra ? 1 : 0) },
    ...columns.map((c): SchemaElement => ({ name: c.name, repetition_type: "OPTIONAL", ...PHYSICAL[c.type] })),
    { name: RECEIVED_COLUMN, repetition_type: "OPTIONAL", ...PHYSICAL.timestamp_ms } as SchemaElement,
    { name: VERSION_COLUMN, repetition_type: "OPTIONAL", ...PHYSICAL.string } as SchemaElement,
    ...(keepExtra ? [{ name: EXTRA_COLUMN, repetition_type: "OPTIONAL", ...PHYSICAL.json } as SchemaElement] : []),
  ];
  const level = options.level;
  const compressors = {
    ZSTD: (bytes: Uint8Array) => zstdCompressSync(bytes, level || 1),
    GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes, { level: level || 6 })),
  };
  const decompressors = {
    ZSTD: (bytes: Uint8Array) => new Uint8Array(zstdDecompressSync(bytes)),
    GZIP: (bytes: Uint8Array) => new Uint8Array(gunzipSync(bytes)),
  };

  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, MAGIC, true);

  /** The footer of a file of exactly these row groups, each at its offset. */
  const footer = (frames: readonly PlacedFrame[]): Uint8Array => {
    const rowGroups = frames.map((f) => moved(f.meta as RowGroup, BigInt(f.offset)));
    const writer = new ByteWriter();
    const metadata = {
      version: 2,
      created_by: options.createdBy,
      schema,
      num_rows: rowGroups.reduce((n, g) => n + g.num_rows, 0n),
      row_groups: rowGroups,
    };
    writeMetadata(writer, metadata as Parameters<typeof writeMetadata>[1]);
    writer.appendUint32(MAGIC);
    return writer.getBytes().slice();
  };

  const format: ObjectFormat = {
    extension: ".parquet",
    contentType: "application/vnd.apache.parquet",
    head,
    keepsLinePrefixes: true,

    async encode(batch: Batch): Promise<Frame> {
      const rows = batch.payloads;
      const data = columns.map(() => new Array<unknown>(rows).fill(null));
      const extra = new Array<string | null>(rows).fill(null);
      const received = new Array<bigint | null>(rows).fill(null);
      const versions = new Array<string | null>(rows).fill(null);
      let row = 0;
      const s = batch.ndjson;
      eachLine(s, (start, end) => {
        const from = payloadStart(s, start, end);
        if (from !== start) {
          const meta = lineMeta(s, start, from);
          received[row] = meta.receivedMs;
          versions[row] = meta.version;
        }
        const fields = read(s, from, end);
        for (let c = 0; c < columns.length; c++) data[c]![row] = fields.values[c];
        extra[row] = fields.extra;
        for (const c of fields.mismatched) options.onMismatch?.(c);
        row++;
      });
      const writer = new ByteWriter(Math.max(4096, s.length >> 1));
      const parquet = new ParquetWriter({ writer, schema, codec: CODECS[options.codec], compressors, createdBy: options.createdBy });
      const columnData: { name: string; data: unknown[]; offsetIndex: boolean }[] = columns.map((c, i) => ({
        name: c.name,
        data: data[i]!,
        offsetIndex: false,
      }));
      columnData.push({ name: RECEIVED_COLUMN, data: received, offsetIndex: false }, { name: VERSION_COLUMN, data: versions, offsetIndex: false });
      if (keepExtra) columnData.push({ name: EXTRA_COLUMN, data: extra, offsetIndex: false });
      parquet.write({ columnData, rowGroupSize: Math.max(rows, 1), pageSize: PAGE_BYTES });
      const group = parquet.row_groups[0] as RowGroup;
      // The row group without the magic the writer starts with: its offsets from the frame's start.
      return { body: writer.getBytes().slice(head.length), format, meta: moved(group, -BigInt(head.length)) };
    },

    tail: footer,

    async toNdjson(body: Uint8Array, frames: readonly PlacedFrame[]): Promise<Uint8Array> {
      if (frames.length === 0) return new Uint8Array(0);
      const file = new ByteWriter(body.length + 4096);
      file.appendBytes(head);
      const placed: PlacedFrame[] = [];
      for (const f of frames) {
        placed.push({ ...f, offset: file.offset });
        file.appendBytes(body.subarray(f.offset, f.offset + f.length));
      }
      file.appendBytes(footer(placed));
      const rows = await parquetReadObjects({
        file: file.getBuffer(),
        compressors: decompressors,
        parsers: { timestampFromMilliseconds: (ms: bigint) => ms, dateFromDays: (days: number) => days },
      });
      const encoder = new TextEncoder();
      const parts: Uint8Array[] = [];
      for (const r of rows) {
        // The prefix again, so that the next start writes the same _received_at and _version.
        const ms = r[RECEIVED_COLUMN] as bigint | null | undefined;
        if (ms !== null && ms !== undefined) parts.push(metaPrefix(Number(ms), (r[VERSION_COLUMN] as string | null) ?? ""));
        const text = payloadText(
          columns,
          columns.map((c) => (r[c.name] ?? null) as never),
          (r[EXTRA_COLUMN] ?? null) as string | null,
        );
        parts.push(encoder.encode(`${text}\n`));
      }
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
  };
  return format;
}
