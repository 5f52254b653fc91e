import { describe, expect, it } from "bun:test";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { type Compression, decodeFrame, lonePayload, ndjsonFormat } from "../../src/upload/ndjson-format.ts";

const enc = (s: string) => new TextEncoder().encode(s);
/** A batch as the queue hands it out: NDJSON and its record count. */
const batch = (...lines: (string | Uint8Array)[]) => ({
  ndjson: enc(lines.map((l) => `${typeof l === "string" ? l : new TextDecoder().decode(l)}\n`).join("")),
  payloads: lines.length,
});
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A batch encoded as the NDJSON format does, with its format's headers beside the frame. */
async function encodeBatch(b: { ndjson: Uint8Array; payloads: number }, compression: Compression, level = 0) {
  const format = ndjsonFormat(compression, level);
  const { body } = await format.encode(b);
  return { body, extension: format.extension, contentType: format.contentType, contentEncoding: format.contentEncoding, format };
}

describe("the NDJSON format", () => {
  it("compresses NDJSON with zstd and names it .ndjson.zst", async () => {
    const out = await encodeBatch(batch('{"a":1}', '{"b":2}'), "zstd");
    expect(out.extension).toBe(".ndjson.zst");
    expect(out.contentEncoding).toBe("zstd");
    expect(dec(zstdDecompressSync(out.body))).toBe('{"a":1}\n{"b":2}\n');
  });

  it("uses the compression level given, and the codec's default for 0", async () => {
    const lines = batch(...Array.from({ length: 2000 }, (_, i) => `{"n":${i},"s":"${"abcdefgh".repeat(i % 7)}"}`));
    const level1 = (await encodeBatch(lines, "zstd", 1)).body.length;
    const level19 = (await encodeBatch(lines, "zstd", 19)).body.length;
    expect(level19).toBeLessThan(level1);
    expect((await encodeBatch(lines, "zstd", 0)).body.length).toBe(level1);
    expect((await encodeBatch(lines, "gzip", 0)).body).toEqual((await encodeBatch(lines, "gzip", 6)).body);
  });

  it("gzips NDJSON and names it .ndjson.gz", async () => {
    const out = await encodeBatch(batch('{"a":1}', '{"b":2}'), "gzip");
    expect(out.extension).toBe(".ndjson.gz");
    expect(out.contentType).toBe("application/x-ndjson");
    expect(out.contentEncoding).toBe("gzip");
    expect(dec(gunzipSync(out.body))).toBe('{"a":1}\n{"b":2}\n');
  });

  it("leaves NDJSON uncompressed with COMPRESSION=none", async () => {
    const out = await encodeBatch(batch('{"a":1}', '{"b":2}'), "none");
    expect(out.extension).toBe(".ndjson");
    expect(out.contentEncoding).toBeUndefined();
    expect(dec(out.body)).toBe('{"a":1}\n{"b":2}\n');
  });

  it("stores a lone uncompressed payload as exactly its JSON, like the seed", async () => {
    const frame = await encodeBatch(batch('{"id":12345678901234567890}'), "none");
    expect(frame.extension).toBe(".ndjson"); // a frame is NDJSON: more may follow it in the object
    expect(frame.format.single?.(frame.body)).toEqual(lonePayload(frame.body));
    expect(ndjsonFormat("zstd").single).toBeUndefined(); // a compressed object stays compressed, however small
    const out = lonePayload(frame.body);
    expect(out.extension).toBe(".json");
    expect(out.contentType).toBe("application/json");
    expect(dec(out.body)).toBe('{"id":12345678901234567890}');
  });

  it("decodes each kind of frame back to its NDJSON", async () => {
    const lines = batch('{"a":1}', '{"b":2}');
    for (const compression of ["zstd", "gzip", "none"] as const) {
      const { body, format } = await encodeBatch(lines, compression);
      expect(dec(decodeFrame(body, compression))).toBe('{"a":1}\n{"b":2}\n');
      // Two frames back to back, as the writer joins them, are one stream.
      expect(dec(await format.toNdjson(new Uint8Array([...body, ...body]), []))).toBe('{"a":1}\n{"b":2}\n'.repeat(2));
      expect(format.head.length + format.tail([]).length).toBe(0); // NDJSON has neither
    }
  });
});
