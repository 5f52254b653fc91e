import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLocalDirStore } from "../../src/store/local-dir-store.ts";
import { StoreError } from "../../src/store/store.ts";
import { tempDir as makeTempDir } from "../support/temp-dir.ts";

const tempDir = () => makeTempDir("local-store-");

describe("local directory store", () => {
  it("writes objects under their key, creating directories, and leaves no temp file", async () => {
    using dir = tempDir();
    const store = createLocalDirStore(dir.path);
    await store.put("events/dt=2026-01-01/hr=00/1-a-0.ndjson", new TextEncoder().encode("x\n"), { contentType: "application/x-ndjson" });
    expect(readFileSync(join(dir.path, "events/dt=2026-01-01/hr=00/1-a-0.ndjson"), "utf8")).toBe("x\n");
    expect(readdirSync(join(dir.path, ".tmp"))).toEqual([]);
  });

  it("replaces an object written again under the same key", async () => {
    using dir = tempDir();
    const store = createLocalDirStore(dir.path);
    await store.put("k.json", new TextEncoder().encode("1"), { contentType: "application/json" });
    await store.put("k.json", new TextEncoder().encode("2"), { contentType: "application/json" });
    expect(readFileSync(join(dir.path, "k.json"), "utf8")).toBe("2");
  });

  it("reports a path it cannot write as a StoreError with the errno in its type", async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "file"), "");
    const store = createLocalDirStore(join(dir.path, "file"));
    const err = await store.put("k", new Uint8Array(1), { contentType: "x" }).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.type).toBe("fs_enotdir");
    expect(err.retryable).toBe(false);
  });

  it("recovers when a directory it made is removed under it", async () => {
    using dir = tempDir();
    const store = createLocalDirStore(dir.path);
    await store.put("a/b/1", new Uint8Array(1), { contentType: "x" });
    rmSync(join(dir.path, "a"), { recursive: true });
    await store.put("a/b/1", new Uint8Array(1), { contentType: "x" }).catch(() => {});
    await store.put("a/b/2", new Uint8Array(1), { contentType: "x" });
    expect(readdirSync(join(dir.path, "a/b"))).toContain("2");
  });
});

describe("local directory store: multipart uploads", () => {
  const options = { contentType: "application/x-ndjson" };
  const text = (s: string) => new TextEncoder().encode(s);

  it("keeps parts out of sight until completed, then writes them in part-number order under the key", async () => {
    using dir = tempDir();
    const { multipart } = createLocalDirStore(dir.path);
    const uploadId = await multipart.create("events/o.ndjson", options);
    const etag2 = await multipart.uploadPart("events/o.ndjson", uploadId, 2, text("b\n"));
    const etag1 = await multipart.uploadPart("events/o.ndjson", uploadId, 1, text("a\n"));
    expect(readdirSync(dir.path).filter((f) => f !== ".tmp")).toEqual([]);
    await multipart.complete("events/o.ndjson", uploadId, [
      { partNumber: 2, etag: etag2 },
      { partNumber: 1, etag: etag1 },
    ]);
    expect(readFileSync(join(dir.path, "events/o.ndjson"), "utf8")).toBe("a\nb\n");
    expect(readdirSync(join(dir.path, ".tmp"))).toEqual([]);
  });

  it("aborts an upload, twice without error, and reports an unknown one as no_such_upload", async () => {
    using dir = tempDir();
    const { multipart } = createLocalDirStore(dir.path);
    const uploadId = await multipart.create("k", options);
    await multipart.uploadPart("k", uploadId, 1, text("a\n"));
    await multipart.abort("k", uploadId);
    await multipart.abort("k", uploadId);
    expect(readdirSync(join(dir.path, ".tmp"))).toEqual([]);
    const err = await multipart.uploadPart("k", uploadId, 2, text("b\n")).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: "no_such_upload", retryable: false });
    expect(await multipart.complete("k", "../../etc", []).catch((e: unknown) => e)).toMatchObject({ type: "no_such_upload" });
  });
});
