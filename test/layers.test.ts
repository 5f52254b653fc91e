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
  ["main.ts", "healthcheck.ts", "athena-ddl.ts", "drain-spool.ts"], // the entrypoint and its one-shot commands
  ["start-http-thread.ts", "upload-side.ts", "shutdown.ts"], // the main thread: the HTTP thread's start, the upload side, the drain
  ["http/"], // the HTTP thread
  ["upload/"], // the upload loops
  ["status/"], // the status page's samples, taken on the upload side, read by the HTTP thread
  ["metrics.ts"], // counters both threads keep
  ["partition/"], // partition names and PARTITION_BY=version's line prefix, which both threads use
  ["schema/"], // a payload's fields split by the declared columns (typed objects)
  ["buffer/"], // memory and disk buffers
  ["queue/"], // the shared ring, disk mode's acknowledgements
  ["spool/"], // segment files on disk
  ["store/"], // object stores
  ["json/"], // JSON read byte by byte: the scanner's syntax, a payload's top-level field
  ["shared/", "config.ts", "config-text.ts", "columns.ts", "allocator.ts", "runtime.ts", "log.ts", "errors.ts", "version.ts"], // the foundation
];

/** The layer's entry that holds `file`: a folder ("http/") or a top-level file ("config.ts"); undefined if none does. */
const unitOf = (file: string, layers: readonly string[][]): string | undefined =>
  layers.flat().find((p) => (p.endsWith("/") ? file.startsWith(p) : file === p));

const layerOf = (file: string, layers: readonly string[][]): number => {
  const unit = unitOf(file, layers);
  return unit === undefined ? -1 : layers.findIndex((prefixes) => prefixes.includes(unit));
};

/**
 * What breaks the import direction, given each module's imports (paths under src/): modules in
 * no layer, imports of a layer above the importer's, and cycles between folders (or top-level
 * files), which a layer's own entries could otherwise form among themselves.
 */
function checkLayers(imports: ReadonlyMap<string, readonly string[]>, layers: readonly string[][]) {
  const unlayered = [...imports.keys()].filter((f) => layerOf(f, layers) < 0);
  const upward = [...imports].flatMap(([file, targets]) =>
    targets.filter((target) => layerOf(target, layers) < layerOf(file, layers)).map((target) => `${file} -> ${target}`),
  );
  // Between units: folder to folder, an import within one's own unit not counted.
  const edges = new Map<string, Set<string>>();
  for (const [file, targets] of imports) {
    const from = unitOf(file, layers);
    for (const target of targets) {
      const to = unitOf(target, layers);
      if (from && to && from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  /** The shortest path of units from `from` to `to`, both included, or null. */
  const path = (from: string, to: string): string[] | null => {
    const previous = new Map<string, string>([[from, ""]]);
    for (const queue = [from]; queue.length > 0; ) {
      const unit = queue.shift()!;
      for (const next of edges.get(unit) ?? []) {
        if (next === to) {
          const steps = [to];
          for (let u = unit; u !== ""; u = previous.get(u)!) steps.unshift(u);
          return steps;
        }
        if (previous.has(next)) continue;
        previous.set(next, unit);
        queue.push(next);
      }
    }
    return null;
  };
  // Each cycle once, named from its least unit.
  const cycles = new Set<string>();
  for (const unit of [...edges.keys()].sort()) {
    const cycle = path(unit, unit);
    if (cycle?.every((u) => u >= unit)) cycles.add(cycle.join(" -> "));
  }
  return { unlayered, upward, cycles: [...cycles] };
}

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
  const found = checkLayers(new Map(sources(SRC).map((file) => [file, importsOf(file)])), LAYERS);

  it("gives every module of src/ a layer", () => {
    expect(found.unlayered).toEqual([]);
  });

  it("has no module import a layer above its own", () => {
    expect(found.upward).toEqual([]);
  });

  it("has no cycle between folders", () => {
    expect(found.cycles).toEqual([]);
  });

  it("catches a module in no layer, an upward import and a cycle between folders (the check itself can fail)", () => {
    const layers = [["top/"], ["middle/", "helpers.ts"], ["bottom/"]];
    const imports = new Map([
      ["top/a.ts", ["middle/b.ts", "bottom/c.ts"]],
      ["middle/b.ts", ["middle/b2.ts", "helpers.ts", "bottom/c.ts"]], // its own folder, its own layer, below: all fine
      ["middle/b2.ts", []],
      ["helpers.ts", ["middle/b2.ts"]], // a cycle within one layer: middle/ -> helpers.ts -> middle/
      ["bottom/c.ts", ["top/a.ts"]], // upward, and so a cycle too
      ["stray.ts", []],
    ]);
    expect(checkLayers(imports, layers)).toEqual({
      unlayered: ["stray.ts"],
      upward: ["bottom/c.ts -> top/a.ts"],
      cycles: ["bottom/ -> top/ -> bottom/", "helpers.ts -> middle/ -> helpers.ts"],
    });
    const downOnly = new Map([
      ["top/a.ts", ["bottom/c.ts"]],
      ["bottom/c.ts", []],
    ]);
    expect(checkLayers(downOnly, layers)).toEqual({ unlayered: [], upward: [], cycles: [] });
  });
});
