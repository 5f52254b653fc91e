import { describe, expect, it } from "bun:test";
import { gunzipSync } from "node:zlib";
import { encodeBatch, ndjson } from "../../src/upload/encode.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("encodeBatch", () => {
  it("writes one payload per line, each line ending in a newline", () => {
    expect(dec(ndjson([enc('{"a":1}'), enc('{"b":2}')]))).toBe('{"a":1}\n{"b":2}\n');
  });

  it("gzips NDJSON and names it .ndjson.gz", async () => {
    const out = await encodeBatch([enc('{"a":1}'), enc('{"b":2}')], "gzip");
    expect(out.extension).toBe(".ndjson.gz");
    expect(out.contentType).toBe("application/x-ndjson");
    expect(out.contentEncoding).toBe("gzip");
    expect(dec(gunzipSync(out.body))).toBe('{"a":1}\n{"b":2}\n');
  });

  it("leaves NDJSON uncompressed with COMPRESSION=none", async () => {
    const out = await encodeBatch([enc('{"a":1}'), enc('{"b":2}')], "none");
    expect(out.extension).toBe(".ndjson");
    expect(out.contentEncoding).toBeUndefined();
    expect(dec(out.body)).toBe('{"a":1}\n{"b":2}\n');
  });

  it("stores a lone uncompressed payload as exactly its JSON, like the seed", async () => {
    const out = await encodeBatch([enc('{"id":12345678901234567890}')], "none");
    expect(out.extension).toBe(".json");
    expect(out.contentType).toBe("application/json");
    expect(dec(out.body)).toBe('{"id":12345678901234567890}');
  });
});
