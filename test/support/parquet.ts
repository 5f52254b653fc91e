// Parquet objects read back by DuckDB, a reader nobody here wrote: the objects are written to a
// temporary directory under their keys, and one query reads them all.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const hasDuckdb = spawnSync("python3", ["-c", "import duckdb"], { stdio: "ignore" }).status === 0;

/** The `id` column of every row of every object, as DuckDB reads them. */
export function parquetIds(objects: readonly { key: string; body: Uint8Array }[]): string[] {
  if (objects.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "parquet-ids-"));
  try {
    for (const o of objects) {
      mkdirSync(dirname(join(dir, o.key)), { recursive: true });
      writeFileSync(join(dir, o.key), o.body);
    }
    const script = `import duckdb, json; print(json.dumps([r[0] for r in duckdb.sql("select id from read_parquet('${dir}/**/*.parquet')").fetchall()]))`;
    const out = spawnSync("python3", ["-c", script], { maxBuffer: 256 << 20 });
    if (out.status !== 0) throw new Error(out.stderr.toString());
    return JSON.parse(out.stdout.toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
