// Large objects end to end: the service as a process writes multipart objects to a real S3 API
// server (moto, which refuses small parts as S3 does, and s3rver), with both S3 clients; then
// real readers read every object whole: `zstd -d`, and DuckDB's read_json, which must return
// every record and a 64-bit integer's exact digits.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIG, expectExactly, noisyCollections, postAll } from "../support/load.ts";
import { hasMoto, startMoto, startS3 } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";

setDefaultTimeout(180_000);

const MiB = 1024 * 1024;
const hasZstd = spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0;
const hasDuckdb = spawnSync("python3", ["-c", "import duckdb"], { stdio: "ignore" }).status === 0;

const servers = [
  ["moto", startMoto, hasMoto, ["bun", "aws-sdk"]],
  ["s3rver", startS3, true, ["bun"]],
] as const;

for (const [server, start, available, clients] of servers) {
  for (const client of clients) {
    // Skipped, and shown as skipped, without the server or the readers (`.ci/run` installs them).
    describe.skipIf(!available || !hasZstd || !hasDuckdb)(`large objects against ${server} (S3_CLIENT=${client})`, () => {
      it("writes multipart objects of several parts that zstd and DuckDB read whole, every payload once", async () => {
        await using s3 = await start();
        await using service = await startService({
          ...s3.env,
          S3_CLIENT: client,
          OBJECT_PART_BYTES: String(5 * MiB),
          OBJECT_MAX_BYTES: String(11 * MiB),
          OBJECT_MAX_AGE_MS: "600000",
          BATCH_MAX_WAIT_MS: "200",
        });
        const { acknowledged } = await postAll(service, noisyCollections("large", 3_000, 20), 16);
        expect(acknowledged).toHaveLength(60_000);
        service.signal("SIGTERM"); // completes the object still open
        expect(await service.exited()).toBe(0);

        const objects = await s3.objects();
        expectExactly(
          objects.flatMap((o) => o.lines.map((l) => JSON.parse(l).id as string)),
          acknowledged,
        );
        const sizes = objects.map((o) => o.body.length).sort((a, b) => b - a);
        expect(sizes[0]).toBeGreaterThanOrEqual(11 * MiB); // closed by OBJECT_MAX_BYTES, in three parts
        expect(objects.every((o) => o.key.endsWith(".ndjson.zst") && o.contentEncoding === "zstd")).toBe(true);
        if (server === "moto") expect(await s3.openUploads()).toEqual([]);

        const dir = mkdtempSync(join(tmpdir(), "large-objects-"));
        try {
          for (const [i, o] of objects.entries()) writeFileSync(join(dir, `${i}.ndjson.zst`), o.body);
          for (const [i, o] of objects.entries()) {
            const out = spawnSync("zstd", ["-dc", join(dir, `${i}.ndjson.zst`)], { maxBuffer: 256 * MiB });
            expect(out.status).toBe(0);
            expect(out.stdout.toString().split("\n").filter(Boolean)).toHaveLength(o.lines.length);
          }
          {
            const query = `select count(*), count(distinct id), count(*) filter (where big::varchar = '${BIG}') from read_json('${dir}/*.ndjson.zst', format='newline_delimited', columns={id: 'VARCHAR', big: 'BIGINT', noise: 'VARCHAR'})`;
            const out = spawnSync("python3", ["-c", `import duckdb; print(*duckdb.sql("""${query}""").fetchone())`]);
            expect(out.stderr.toString()).toBe("");
            expect(out.stdout.toString().trim()).toBe("60000 60000 60000");
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }
}
