// The embedded default store: objects as files under a directory, in the same key layout as S3.
// Each file is written to a temp name, fsync'd and renamed, so a reader never sees half an object.
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type ObjectStore, STORE_ERROR_TYPES, StoreError } from "./store.ts";

const FATAL_CODES = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EISDIR"]);

export function createLocalDirStore(dir: string): ObjectStore {
  const root = resolve(dir);
  const tmpDir = join(root, ".tmp");
  const made = new Set<string>();
  let tmpSeq = 0;
  const ensureDir = async (path: string) => {
    if (made.has(path)) return;
    await mkdir(path, { recursive: true });
    made.add(path);
  };

  return {
    location: root,
    async put(key, body) {
      const target = join(root, key);
      const tmp = join(tmpDir, `${process.pid}-${tmpSeq++}`);
      try {
        await ensureDir(tmpDir);
        await ensureDir(dirname(target));
        const file = await open(tmp, "w");
        try {
          await file.writeFile(body);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(tmp, target);
      } catch (err) {
        made.clear(); // the directory may have been removed under us
        await rm(tmp, { force: true }).catch(() => {});
        const code = (err as NodeJS.ErrnoException).code ?? "unknown";
        const type = `fs_${code.toLowerCase()}`;
        const known = (STORE_ERROR_TYPES as readonly string[]).includes(type);
        throw new StoreError(known ? type : "fs_other", !FATAL_CODES.has(code), `writing ${key}: ${code}`, { cause: err });
      }
    },
  };
}
