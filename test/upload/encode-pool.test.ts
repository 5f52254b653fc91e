// The Parquet encoders' thread pool, with real Workers of encode-worker.ts.
import { describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { pooledFormat } from "../../src/upload/encode-pool.ts";
import { createFormat } from "../../src/upload/formats.ts";
import { tempDir } from "../support/temp-dir.ts";

const WORKER = new URL("../../src/upload/encode-worker.ts", import.meta.url).href;
const config = loadConfig({ FORMAT: "parquet", PARQUET_COLUMNS: "event:string,n:bigint" });
const enc = new TextEncoder();
const batchOf = (lines: string[]) => ({ ndjson: enc.encode(lines.map((l) => `${l}\n`).join("")), payloads: lines.length });

describe("pooledFormat", () => {
  it("encodes on its threads the very frames the format encodes on this one, and reports mismatches by column", async () => {
    const mismatched: string[] = [];
    const format = createFormat(config);
    const pooled = pooledFormat(
      format,
      config,
      2,
      () => new Worker(WORKER, { type: "module" }),
      (c) => void mismatched.push(c),
    );
    try {
      const batches = [batchOf(['{"event":"boot","n":1}', '{"event":2,"n":"x"}']), batchOf(['{"n":9223372036854775807,"x":[1]}'])];
      const frames = await Promise.all(batches.map((b) => pooled.encode(b)));
      for (const [i, frame] of frames.entries()) {
        const own = await format.encode(batches[i]!);
        expect(frame.body).toEqual(own.body);
        expect(frame.meta).toEqual(own.meta);
        expect(frame.format).toBe(pooled);
      }
      expect(mismatched.sort()).toEqual(["event", "n"]);
      expect(pooled.extension).toBe(".parquet");
    } finally {
      await pooled.close();
    }
  });

  it("rejects the batches of a thread that fails, and encodes the next ones on its replacement", async () => {
    using dir = tempDir("encode-pool-");
    const failing = join(dir.path, "failing-worker.ts");
    writeFileSync(failing, 'self.onmessage = (e) => { if (e.data.type === "encode") throw new Error("boom"); };\n');
    const made: string[] = [];
    const newWorker = () => {
      const path = made.length === 0 ? failing : WORKER;
      made.push(path);
      return new Worker(path, { type: "module" });
    };
    const pooled = pooledFormat(createFormat(config), config, 1, newWorker);
    try {
      await expect(pooled.encode(batchOf(['{"event":"a"}']))).rejects.toThrow(/encoding thread failed/);
      const frame = await pooled.encode(batchOf(['{"event":"b"}']));
      expect(frame.body.length).toBeGreaterThan(0);
      expect(made).toEqual([failing, WORKER]);
    } finally {
      await pooled.close();
    }
    await expect(pooled.encode(batchOf(['{"event":"c"}']))).rejects.toThrow(/closed/);
  });
});
