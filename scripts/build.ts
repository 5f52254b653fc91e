// `bun run build`: one self-contained executable, dist/s3-ingest, for linux x64 (EC2 c4.large).
// No --minify: it breaks Elysia in compiled binaries (elysia #1711). --bytecode precompiles the
// JavaScript, which cuts exec-to-ready about threefold (bun run bench:startup); it needs ESM
// output for main.ts's top-level await. The build string baked in is `<commit> <date>`;
// S3_INGEST_COMMIT overrides the commit where there is no .git (Docker).
import { $ } from "bun";

const target = process.env.BUILD_TARGET ?? "bun-linux-x64";
const outfile = process.env.BUILD_OUTFILE ?? "dist/s3-ingest";
async function gitCommit(): Promise<string> {
  try {
    return (await $`git rev-parse --short HEAD`.quiet().text()).trim();
  } catch {
    return "";
  }
}
const commit = process.env.S3_INGEST_COMMIT || (await gitCommit());
const build = `${commit || "unknown"} ${new Date().toISOString().slice(0, 10)}`;

await $`bun build --compile --bytecode --format=esm --target=${target} --define S3_INGEST_BUILD=${JSON.stringify(build)} src/main.ts src/http/worker.ts src/upload/encode-worker.ts --outfile ${outfile}`;
