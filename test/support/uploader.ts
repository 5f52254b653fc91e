// The upload side's options and deps for tests, built in one place: small, fast settings over an
// in-memory store; and an Uploader over a ring, for the upload side's unit tests.
import { expect } from "bun:test";
import { noJournal } from "../../src/buffer/journal.ts";
import { RingReader, type RingReaderOptions } from "../../src/buffer/ring-reader.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/metrics.ts";
import { RingSet } from "../../src/queue/ring-set.ts";
import { StoreHealth } from "../../src/shared/store-health.ts";
import { type Compression, ndjsonFormat } from "../../src/upload/ndjson-format.ts";
import { createKeyNamer } from "../../src/upload/object-key.ts";
import type { UploaderOptions, WriterDeps } from "../../src/upload/upload-options.ts";
import { Uploader } from "../../src/upload/uploader.ts";
import { MemoryStore } from "./memory-store.ts";
import { pushAll } from "./queue.ts";

/** Options as the tests give them: `compression` picks the NDJSON format, unless `format` is given. */
export type TestUploadOptions = Partial<UploaderOptions> & { compression?: Compression };

/** The upload side's options: every batch an object of its own unless `maxAgeMs` says otherwise, retries within milliseconds. */
export function uploadOptions({ compression = "none", ...options }: TestUploadOptions = {}): UploaderOptions {
  return {
    loops: 2,
    prefix: "t",
    format: ndjsonFormat(compression),
    batchMaxBytes: 1 << 20,
    objectMaxBytes: 1 << 30,
    maxAgeMs: 0,
    partBytes: 5 << 20,
    retry: { baseMs: 1, maxMs: 5 },
    ...options,
  };
}

/** Its deps: an in-memory store (unless given), keys `t/...-inst-N`, no journal (unless given); `logs` collects every log line. */
export function uploadDeps(more: Partial<WriterDeps> = {}): WriterDeps & { logs: string[] } {
  const logs: string[] = [];
  return {
    store: new MemoryStore(),
    keys: createKeyNamer("t", "inst"),
    health: new StoreHealth(60_000),
    metrics: createMetrics(),
    log: createLogger("debug", (l) => logs.push(l)),
    journal: noJournal,
    ...more,
    logs,
  };
}

export interface SetupOptions extends TestUploadOptions, Partial<Omit<RingReaderOptions, "onWork">> {}

export function uploaderSetup(options: SetupOptions = {}) {
  const { maxPayloads = 3, maxBytes = 1 << 20, maxWaitMs = 60_000, ...upload } = options;
  const queue = new RingSet(1, 1000, 1 << 20);
  const reader = new RingReader(queue, { maxPayloads, maxBytes, maxWaitMs });
  const store = new MemoryStore();
  const { logs, ...deps } = uploadDeps({ store });
  const uploader = new Uploader(uploadOptions({ batchMaxBytes: maxBytes, ...upload }), { ...deps, reader });
  const { metrics, health } = deps;
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
