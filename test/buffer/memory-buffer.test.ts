import { describe, expect, it } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryBuffer } from "../../src/buffer/memory-buffer.ts";
import { createBufferWriter } from "../../src/buffer/writer.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { readSegment } from "../../src/spool/read-segment.ts";
import { arrayBody } from "../support/queue.ts";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function setup() {
  const spoolDir = mkdtempSync(join(tmpdir(), "memory-buffer-"));
  const config = loadConfig({ SPOOL_DIR: spoolDir, BATCH_MAX_PAYLOADS: "2", BATCH_MAX_WAIT_MS: "0" });
  const buffer = createMemoryBuffer(
    config,
    createLogger("error", () => {}),
    () => {},
  );
  const writer = createBufferWriter(buffer.memory);
  const push = (...payloads: string[]) => {
    const { body, spans } = arrayBody(payloads);
    return writer.push(body, spans);
  };
  return { spoolDir, buffer, writer, push, [Symbol.dispose]: () => rmSync(spoolDir, { recursive: true, force: true }) };
}

describe("the memory buffer", () => {
  it("acknowledges a collection at once, and counts it unsaved until its batch is written", async () => {
    using t = setup();
    expect(t.push('{"a":1}', '{"a":2}', '{"a":3}')).toBe("ok");
    expect(t.buffer.unsaved).toBe(3);
    const read = (await t.buffer.readers[0]!.reader.next(new Uint8Array(1024)))!;
    expect(read.batch.payloads).toBe(2);
    expect(t.buffer.unsaved).toBe(3); // one in the ring, two in a batch being uploaded
    await read.release();
    expect(t.buffer.unsaved).toBe(1);
    expect(t.buffer.unwritten).toBe(1);
  });

  it("saves the ring and the batches being uploaded to the spool at the deadline, and takes no collection after", async () => {
    using t = setup();
    t.push('{"a":1}', '{"a":2}', '{"a":3}');
    await t.buffer.readers[0]!.reader.next(new Uint8Array(1024)); // taken by an upload loop, not written
    const kept = await t.buffer.keepRemaining();
    expect(kept.saved).toBe(3);
    expect(t.push('{"late":1}')).toBe("full");
    const segments = readdirSync(t.spoolDir).filter((f) => f.endsWith(".seg"));
    expect(segments).toHaveLength(kept.segments);
    const lines: string[] = [];
    for (const f of segments)
      lines.push(
        ...dec((await readSegment(join(t.spoolDir, f))).ndjson)
          .split("\n")
          .filter(Boolean),
      );
    expect(lines.sort()).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
  });
});
