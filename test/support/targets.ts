// The ways the service runs, for the end-to-end suite to run against each: the source under
// Bun, the compiled executable (built once per test run, as `bun run build` does), and the
// source under Deno, each with two HTTP threads (HTTP_THREADS=2, whatever the machine's cores);
// and the source with one, for the main cases (oneThread()). E2E_TARGETS=source,binary,deno
// picks some (default: all). A target that cannot run here (Deno not installed) or is not picked
// still shows, its tests skipped, saying why.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

export interface Target {
  name: "source" | "binary" | "deno";
  command(): Promise<string[]>;
  /** Settings it runs with, under each test's own. */
  env: Record<string, string>;
  /** Why its tests are skipped on this run, if they are. */
  skip?: string;
}

let built: Promise<string> | null = null;

/** Builds dist/s3-ingest's twin into a temp dir with the project's own build script. */
export function buildBinary(): Promise<string> {
  built ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), "s3-ingest-bin-")), "s3-ingest");
    const proc = Bun.spawn([process.execPath, "run", "build"], {
      cwd: ROOT,
      env: { ...process.env, BUILD_OUTFILE: outfile },
      stdout: "pipe",
      stderr: "pipe",
    });
    if ((await proc.exited) !== 0) throw new Error(`bun run build failed: ${await new Response(proc.stderr).text()}`);
    return outfile;
  })();
  return built;
}

const DENO = join(ROOT, "node_modules/.bin/deno");

const all: Target[] = [
  { name: "source", env: { HTTP_THREADS: "2" }, command: async () => [process.execPath, join(ROOT, "src/main.ts")] },
  { name: "binary", env: { HTTP_THREADS: "2" }, command: async () => [await buildBinary()] },
  {
    name: "deno",
    env: { HTTP_THREADS: "2" },
    command: async () => [
      DENO,
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-sys",
      "--allow-run", // signal 0 to a spool lock's holder: is it alive (spool/directory.ts)
      `--config=${join(ROOT, "deno.json")}`,
      join(ROOT, "src/main.ts"),
    ],
  },
];

/** Every target, each one that cannot run on this run marked with why. */
export function targets(): Target[] {
  const picked = process.env.E2E_TARGETS;
  const wanted = picked?.split(",").map((s) => s.trim());
  return all.map((t) => {
    const skip =
      wanted && !wanted.includes(t.name)
        ? `not in E2E_TARGETS=${picked}`
        : t.name === "deno" && !existsSync(DENO)
          ? "no Deno at node_modules/.bin/deno (npm ci installs it)"
          : undefined;
    return skip ? { ...t, skip } : t;
  });
}

/** The source with one HTTP thread, as a machine of one core runs it by default. */
export function oneThread(): Target {
  const [source] = targets();
  return { ...source!, env: { HTTP_THREADS: "1" } };
}

/** The target's name, and its HTTP threads when it is not the usual two. */
export function targetName(target: Target): string {
  const threads = target.env.HTTP_THREADS;
  return threads === "2" ? target.name : `${target.name}, HTTP_THREADS=${threads}`;
}

/**
 * How a test (or a describe) on `target` is registered: skipped when the target cannot run here
 * or the test does not apply to it (`notOn`, with the reason); `label`, a title suffix that names
 * the target and, when skipped, why; `why`, the reason alone.
 *
 * @example
 * const on = onTarget(target, { deno: "MIMALLOC_PURGE_DELAY is Bun's allocator's" });
 * describe.skipIf(on.skip)(`allocator settings ${on.label}`, () => { ... });
 */
export function onTarget(target: Target, notOn: Partial<Record<Target["name"], string>> = {}): { skip: boolean; label: string; why?: string } {
  const why = target.skip ?? notOn[target.name];
  const name = targetName(target);
  return why === undefined ? { skip: false, label: `(${name})` } : { skip: true, label: `(${name}; skipped: ${why})`, why };
}

export const sourceTarget = all[0]!;
