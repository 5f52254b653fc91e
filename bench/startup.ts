// `bun run bench:startup`: what matters to auto-scaling. Builds the binary, then for the binary
// and the source: time from exec to /ready answering 200 (median of RUNS), and RSS once idle.
// Prints one markdown table. Everything runs on 127.0.0.1 with the local-directory store.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const RUNS = Number(process.env.RUNS ?? 10);
const binary = join(mkdtempSync(join(tmpdir(), "s3-ingest-startup-")), "s3-ingest");
const built = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, env: { ...process.env, BUILD_OUTFILE: binary } });
if (built.exitCode !== 0) throw new Error(built.stderr.toString());

const rssMiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024;

async function measure(command: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "s3-ingest-run-"));
  const started = performance.now();
  const proc = Bun.spawn(command, { cwd: dir, env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0" }, stdout: "pipe" });
  // The port comes from the first log line ("listening"); then /ready is polled until 200.
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
  const port = JSON.parse(text.slice(0, text.indexOf("\n"))).port as number;
  let readyMs = NaN;
  while (performance.now() - started < 10_000) {
    if (
      await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
    ) {
      readyMs = performance.now() - started;
      break;
    }
    await Bun.sleep(1);
  }
  await Bun.sleep(1_000); // idle
  const rss = rssMiB(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dir, { recursive: true, force: true });
  return { readyMs, rss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];
for (const [name, command] of [
  ["binary", [binary]],
  ["source (bun src/main.ts)", [process.execPath, join(ROOT, "src/main.ts")]],
] as const) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await measure([...command]));
  rows.push(`| ${name} | ${median(results.map((r) => r.readyMs)).toFixed(0)} ms | ${median(results.map((r) => r.rss)).toFixed(1)} MiB |`);
}
console.log(`binary size: ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB (${statSync(binary).size} bytes)\n`);
console.log(`| run | exec to /ready 200 (median of ${RUNS}) | RSS at idle |\n| --- | --- | --- |\n${rows.join("\n")}`);
rmSync(binary, { force: true });
