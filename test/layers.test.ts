// Imports point one way: down the layers below, each a folder or a top-level file of src/. A
// module may import its own layer and the ones below it, never one above: the HTTP thread and
// the upload side build on the buffer, the buffer on the ring and the spool, everything on the
// shared words and the config. A new file must be given a layer here.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

/** Top to bottom. */
const LAYERS: string[][] = [
  ["main.ts", "healthcheck.ts", "athena-ddl.ts"], // the entrypoint and its one-shot commands
  ["start-http-thread.ts", "upload-side.ts", "shutdown.ts"], // the main thread: the HTTP thread's start, the upload side, the drain
  ["http/"], // the HTTP thread
  ["upload/"], // the upload loops
  ["status/"], // the status page's samples, taken on the upload side, read by the HTTP thread
  ["metrics.ts"], // counters both threads keep
  ["partition/"], // partition names and PARTITION_BY=version's line prefix, which both threads use
  ["buffer/"], // memory and disk buffers
  ["queue/"], // the shared ring, disk mode's acknowledgements
  ["spool/"], // segment files on disk
  ["store/"], // object stores
  ["json/"], // JSON read byte by byte: the scanner's syntax, a payload's top-level field
  ["shared/", "config.ts", "allocator.ts", "runtime.ts", "log.ts", "errors.ts", "version.ts"], // the foundation
];

const layerOf = (file: string): number => LAYERS.findIndex((prefixes) => prefixes.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [relative(SRC, path)] : [];
  });
}

/** Every module a file imports from src/, statically or dynamically, types included. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(SRC, resolve(SRC, dirname(file), s))).filter((f) => !f.startsWith(".."));
}

describe("import direction", () => {
  const files = sources(SRC);

  it("gives every module of src/ a layer", () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it("has no module import a layer above its own", () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(target) < layerOf(file))
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it("catches an upward import (the check itself can fail)", () => {
    expect(layerOf("spool/spool.ts") > layerOf("buffer/buffer.ts")).toBe(true);
    expect(layerOf("shared/state.ts")).toBe(LAYERS.length - 1);
  });
});
