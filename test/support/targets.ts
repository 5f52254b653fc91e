// The ways the service runs, for the end-to-end suite to run against each: the source under
// Bun, the compiled executable (built once per test run, as `bun run build` does), and the
// source under Deno. E2E_TARGETS=source,binary,deno picks some (default: all).
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

export interface Target {
  name: "source" | "binary" | "deno";
  command(): Promise<string[]>;
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
  { name: "source", command: async () => [process.execPath, join(ROOT, "src/main.ts")] },
  { name: "binary", command: async () => [await buildBinary()] },
  {
    name: "deno",
    command: async () => [
      DENO,
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-sys",
      `--config=${join(ROOT, "deno.json")}`,
      join(ROOT, "src/main.ts"),
    ],
  },
];

export function targets(): Target[] {
  const wanted = process.env.E2E_TARGETS?.split(",").map((s) => s.trim());
  return all.filter((t) => (wanted ? wanted.includes(t.name) : t.name !== "deno" || existsSync(DENO)));
}

export const sourceTarget = all[0]!;
