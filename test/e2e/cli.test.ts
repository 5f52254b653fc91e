// The command line of every target: a bad setting, --version, --help, and `healthcheck`.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";

// Real processes: more than bun's 5 s default.
setDefaultTimeout(60_000);

for (const target of targets()) {
  const on = onTarget(target);
  const start = (env: Record<string, string>) => startService(env, target);

  describe.skipIf(on.skip)(`s3-ingest's command line ${on.label}`, () => {
    it("refuses to start on a bad setting with one line naming it, exit code 2", async () => {
      const proc = Bun.spawn(await target.command(), { env: { PATH: process.env.PATH ?? "", MAX_WORKERS: "0" }, stdout: "pipe", stderr: "pipe" });
      expect(await proc.exited).toBe(2);
      const stderr = await new Response(proc.stderr).text();
      expect(stderr.trim().split("\n")).toEqual(['s3-ingest: invalid configuration: MAX_WORKERS must be an integer from 1 to 4096, got "0"']);
    });

    it("prints its version on --version", async () => {
      const proc = Bun.spawn([...(await target.command()), "--version"], { stdout: "pipe" });
      expect(await proc.exited).toBe(0);
      const text = await new Response(proc.stdout).text();
      expect(text).toMatch(
        target.name === "binary" ? /^s3-ingest \d+\.\d+\.\d+ \([0-9a-f]+ \d{4}-\d\d-\d\d\)\n$/ : /^s3-ingest \d+\.\d+\.\d+ \(source\)\n$/,
      );
    });

    it("answers `healthcheck` with exit 0 while serving and 1 when nothing listens", async () => {
      await using service = await start({});
      const command = await target.command();
      const check = (port: number) => Bun.spawn([...command, "healthcheck"], { env: { PATH: process.env.PATH ?? "", PORT: String(port) } }).exited;
      expect(await check(service.port)).toBe(0);
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      expect(await check(service.port)).toBe(1);
    });

    it("prints every variable on --help", async () => {
      const proc = Bun.spawn([...(await target.command()), "--help"], { stdout: "pipe" });
      expect(await proc.exited).toBe(0);
      const text = await new Response(proc.stdout).text();
      for (const name of ["MAX_WORKERS", "MAX_QUEUE_PAYLOADS", "S3_BUCKET", "SHUTDOWN_TIMEOUT_MS"]) expect(text).toContain(name);
    });
  });
}
