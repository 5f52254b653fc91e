// An Uploader over a ring and an in-memory store, for the upload side's unit tests.
import { expect } from "bun:test";
import { RingReader, type RingReaderOptions } from "../../src/buffer/ring-reader.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/metrics.ts";
import { RingBuffer } from "../../src/queue/ring-buffer.ts";
import { StoreHealth } from "../../src/shared/store-health.ts";
import { createKeyNamer } from "../../src/upload/object-key.ts";
import { Uploader, type UploaderOptions } from "../../src/upload/uploader.ts";
import { MemoryStore } from "./memory-store.ts";
import { pushAll } from "./queue.ts";

export interface SetupOptions extends UploaderOptions, RingReaderOptions {}

export function uploaderSetup(options: Partial<SetupOptions> = {}) {
  const o: SetupOptions = {
    loops: 2,
    prefix: "t",
    maxPayloads: 3,
    maxBytes: 1 << 20,
    maxWaitMs: 60_000,
    objectMaxBytes: 1 << 30,
    maxAgeMs: 0, // every batch an object of its own: objects.test.ts tests larger ones
    partBytes: 5 << 20,
    compression: "none",
    compressionLevel: 0,
    retry: { baseMs: 1, maxMs: 5 },
    ...options,
  };
  const queue = new RingBuffer(1000, 1 << 20);
  const store = new MemoryStore();
  const metrics = createMetrics();
  const health = new StoreHealth(60_000);
  const logs: string[] = [];
  const reader = new RingReader(queue, o);
  const uploader = new Uploader(o, {
    reader,
    store,
    keys: createKeyNamer("t", "inst"),
    health,
    metrics,
    log: createLogger("debug", (l) => logs.push(l)),
  });
  const push = (...payloads: string[]) => {
    expect(pushAll(queue, payloads)).toBe(true);
  };
  const lines = () => [...store.objects.values()].flatMap(({ body }) => new TextDecoder().decode(body).split("\n").filter(Boolean)).sort();
  /** What the buffer's close does: no more input; resolves once every batch is written. */
  const close = async () => {
    reader.close();
    await uploader.done();
  };
  return { queue, reader, store, metrics, health, uploader, push, lines, logs, close };
}
