// A local S3-compatible sink for benchmarks (s3rver is far too slow): accepts path-style
// `PUT /{bucket}/{key}` (plain or aws-chunked bodies) and multipart uploads (start, parts,
// complete, abort), answers like S3 (200, a quoted ETag, S3's XML) after LATENCY_MS without
// blocking other requests, and counts objects, their sizes, bytes and payloads. An object counts
// once it is complete.
// Payloads (newline-terminated lines, after gunzip or zstd; a Parquet object's rows, from its
// footer) are counted on GET /stats, not during the load, so the sink's own CPU does not compete
// with the service under test. Past SPILL_AFTER_BYTES of objects held for counting, the rest go
// to a file (removed at exit) until then: a 10-minute soak writes tens of GB.
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parquetMetadata } from "hyparquet";

const LATENCY_MS = Number(process.env.LATENCY_MS ?? 25);
const NEWLINE = 0x0a;

let objects = 0;
let bytes = 0;
let payloads = 0;
let pending: { body: Uint8Array; encoding: string }[] = [];
let pendingBytes = 0;
const SPILL_AFTER_BYTES = 256 * 1024 * 1024;
const spillPath = join(tmpdir(), `s3-ingest-sink-${process.pid}.spill`);
let spillFd: number | null = null;
let spillEnd = 0;
let spilled: { offset: number; length: number; encoding: string }[] = [];

/** Holds a completed object until /stats counts it: in memory, or past SPILL_AFTER_BYTES in the spill file. */
function keep(body: Uint8Array, encoding: string): void {
  if (pendingBytes + body.length <= SPILL_AFTER_BYTES) {
    pending.push({ body, encoding });
    pendingBytes += body.length;
    return;
  }
  spillFd ??= openSync(spillPath, "w+");
  writeSync(spillFd, body, 0, body.length, spillEnd);
  spilled.push({ offset: spillEnd, length: body.length, encoding });
  spillEnd += body.length;
}
/** Object sizes, for the median and p99 the object-size scenario reports. */
const sizes: number[] = [];
let requests = 0;
const uploads = new Map<string, { encoding: string; parts: Map<number, Uint8Array> }>();
let nextUpload = 0;

/** Decodes `aws-chunked` framing: `<hex size>[;chunk-signature=...]\r\n<data>\r\n` ... `0...`. */
export function decodeAwsChunked(raw: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf(0x0d, at);
    const header = new TextDecoder().decode(raw.subarray(at, lineEnd));
    const size = parseInt(header.split(";")[0]!, 16);
    if (!size) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function countLines(body: Uint8Array): number {
  let n = 0;
  for (let i = body.indexOf(NEWLINE); i >= 0; i = body.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** Whether the object is a Parquet file: `PAR1` at both ends. */
const isParquet = (b: Uint8Array) =>
  b.length >= 12 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31 && b[b.length - 4] === 0x50 && b[b.length - 1] === 0x31;

function count(body: Uint8Array, encoding: string): number {
  if (isParquet(body)) return Number(parquetMetadata(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer).num_rows);
  const plain: Uint8Array = encoding.includes("gzip") ? gunzipSync(body) : encoding.includes("zstd") ? Bun.zstdDecompressSync(body) : body;
  // A lone uncompressed payload (seed mode) is one record without a trailing newline.
  return Math.max(countLines(plain), plain.length > 0 && plain[plain.length - 1] !== NEWLINE ? 1 : 0);
}

function settle(): void {
  for (const { body, encoding } of pending) payloads += count(body, encoding);
  pending = [];
  pendingBytes = 0;
  for (const { offset, length, encoding } of spilled) {
    const body = Buffer.alloc(length);
    readSync(spillFd!, body, 0, length, offset);
    payloads += count(body, encoding);
  }
  spilled = [];
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 60,
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/stats") {
      settle();
      return Response.json({ objects, bytes, payloads, requests, sizes });
    }
    requests++;
    const q = url.searchParams;
    const encoding = (req.headers.get("content-encoding") ?? "").replace("aws-chunked", "");
    const xml = (body: string) => new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { headers: { "content-type": "application/xml" } });
    const etag = (n: number) => `"${n.toString(16).padStart(32, "0")}"`;
    if (req.method === "POST" && q.has("uploads")) {
      const uploadId = `upload-${nextUpload++}`;
      uploads.set(uploadId, { encoding, parts: new Map() });
      await Bun.sleep(LATENCY_MS);
      return xml(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    }
    const upload = q.has("uploadId") ? uploads.get(q.get("uploadId")!) : undefined;
    if (q.has("uploadId") && !upload) return new Response("<Error><Code>NoSuchUpload</Code></Error>", { status: 404 });
    if (req.method === "DELETE" && upload) {
      uploads.delete(q.get("uploadId")!);
      return new Response(null, { status: 204 });
    }
    if (req.method === "POST" && upload) {
      await req.arrayBuffer();
      const parts = [...upload.parts.entries()].sort(([a], [b]) => a - b).map(([, body]) => body);
      const body = Buffer.concat(parts);
      uploads.delete(q.get("uploadId")!);
      objects++;
      bytes += body.length;
      sizes.push(body.length);
      keep(body, upload.encoding);
      await Bun.sleep(LATENCY_MS);
      return xml(`<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>${etag(objects)}</ETag></CompleteMultipartUploadResult>`);
    }
    if (req.method !== "PUT") return new Response("<Error><Code>NotImplemented</Code></Error>", { status: 501 });
    let body: Uint8Array = new Uint8Array(await req.arrayBuffer());
    const sha = req.headers.get("x-amz-content-sha256") ?? "";
    if (sha.startsWith("STREAMING-") || (req.headers.get("content-encoding") ?? "").includes("aws-chunked")) body = decodeAwsChunked(body);
    if (upload) {
      const partNumber = Number(q.get("partNumber"));
      upload.parts.set(partNumber, body);
      await Bun.sleep(LATENCY_MS);
      return new Response(null, { status: 200, headers: { etag: etag(partNumber) } });
    }
    objects++;
    bytes += body.length;
    sizes.push(body.length);
    keep(body, encoding);
    await Bun.sleep(LATENCY_MS);
    return new Response(null, { status: 200, headers: { etag: etag(objects) } });
  },
});

console.log(JSON.stringify({ msg: "sink listening", port: server.port, latency_ms: LATENCY_MS }));
process.on("exit", () => {
  if (spillFd === null) return;
  closeSync(spillFd);
  rmSync(spillPath, { force: true });
});
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
