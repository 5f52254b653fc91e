// `bun run build`: one self-contained executable, dist/s3-ingest, for linux x64 (EC2 c4.large).
// No --minify: it breaks Elysia in compiled binaries (elysia #1711). The build string baked in
// is `<commit> <date>`; S3_INGEST_COMMIT overrides the commit where there is no .git (Docker).
import { $ } from "bun";

const target = process.env.BUILD_TARGET ?? "bun-linux-x64";
const outfile = process.env.BUILD_OUTFILE ?? "dist/s3-ingest";
const commit = process.env.S3_INGEST_COMMIT ?? (await $`git rev-parse --short HEAD`.nothrow().quiet().text()).trim() ?? "";
const build = `${commit || "unknown"} ${new Date().toISOString().slice(0, 10)}`;

await $`bun build --compile --target=${target} --define S3_INGEST_BUILD=${JSON.stringify(build)} src/main.ts --outfile ${outfile}`;
