import { describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDiskBuffer } from "../../src/buffer/disk-buffer.ts";
import { createBufferWriter } from "../../src/buffer/writer.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(env: Record<string, string> = {}) {
  const spoolDir = mkdtempSync(join(tmpdir(), "disk-buffer-"));
  const config = loadConfig({ SPOOL_DIR: spoolDir, DURABILITY: "disk", BATCH_MAX_WAIT_MS: "60000", ...env });
  const buffer = createDiskBuffer(
    config,
    createLogger("error", () => {}),
    () => {},
  );
  const writer = createBufferWriter(buffer.memory);
  const push = (payload: string) => writer.push(enc(`[${payload}]`), [1, 1 + payload.length]);
  return { spoolDir, buffer, writer, push, [Symbol.dispose]: () => rmSync(spoolDir, { recursive: true, force: true }) };
}

describe("the disk buffer", () => {
  it("acknowledges a collection only once it is fsync'd, and then none of it is only in memory", async () => {
    using t = setup();
    t.buffer.start();
    const pushed = t.push('{"a":1}');
    expect(pushed).toBeInstanceOf(Promise);
    expect(await pushed).toBe("ok");
    expect(t.buffer.unsaved).toBe(0);
    expect(t.buffer.unwritten).toBe(1);
    t.buffer.flush(); // seals the open segment
    const read = (await t.buffer.readers[0]!.reader.next(new Uint8Array(1024)))!;
    expect(dec(read.batch.ndjson)).toBe('{"a":1}\n');
    expect(read.segment?.name).toMatchObject({ sequence: 0 });
    await read.release();
    expect(t.buffer.unwritten).toBe(0);
    await t.buffer.close();
  });

  it("refuses a collection that would take the spool past SPOOL_MAX_BYTES", async () => {
    using t = setup({ SPOOL_MAX_BYTES: "1024" });
    t.buffer.start();
    expect(await t.push(`{"pad":"${"x".repeat(900)}"}`)).toBe("ok");
    expect(t.writer.hasRoom()).toBe(true);
    expect(t.push(`{"pad":"${"x".repeat(200)}"}`)).toBe("full");
    await t.buffer.close();
  });

  it("leaves what is not uploaded in the spool at the deadline", async () => {
    using t = setup();
    t.buffer.start();
    await t.push('{"a":1}');
    expect(await t.buffer.keepRemaining()).toEqual({ saved: 0, segments: 1 });
  });
});
