// The embedded default store: objects as files under a directory, in the same key layout as S3.
// Each file is written to a temp name, fsync'd and renamed, so a reader never sees half an object.
// A multipart upload keeps its parts as files under .tmp/ until it is completed (concatenated in
// part-number order, then renamed into place) or aborted, as S3 keeps them out of sight.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type ObjectStore, STORE_ERROR_TYPES, StoreError } from "./store.ts";

const FATAL_CODES = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EISDIR"]);
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** A file-system failure as a StoreError whose type names its errno code. */
function fsError(what: string, err: unknown): StoreError {
  const code = (err as NodeJS.ErrnoException).code ?? "unknown";
  if (code === "ENOENT" && what.startsWith("upload ")) return new StoreError("no_such_upload", false, `${what}: no such upload`, { cause: err });
  const type = `fs_${code.toLowerCase()}`;
  const known = (STORE_ERROR_TYPES as readonly string[]).includes(type);
  return new StoreError(known ? type : "fs_other", !FATAL_CODES.has(code), `${what}: ${code}`, { cause: err });
}

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
  const uploadDir = (uploadId: string) => {
    if (!UPLOAD_ID.test(uploadId)) throw new StoreError("no_such_upload", false, `upload ${uploadId}: no such upload`);
    return join(tmpDir, `upload-${uploadId}`);
  };

  /** Writes `chunks` to `path` through a temp file, fsync'd, then renamed into place. */
  async function writeAtomically(path: string, chunks: () => AsyncIterable<Uint8Array>, what: string): Promise<void> {
    const tmp = join(tmpDir, `${process.pid}-${tmpSeq++}`);
    try {
      await ensureDir(tmpDir);
      await ensureDir(dirname(path));
      const file = await open(tmp, "w");
      try {
        for await (const chunk of chunks()) await file.write(chunk);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (err) {
      made.clear(); // the directory may have been removed under us
      await rm(tmp, { force: true }).catch(() => {});
      throw err instanceof StoreError ? err : fsError(what, err);
    }
  }

  return {
    location: root,
    async put(key, body) {
      await writeAtomically(
        join(root, key),
        async function* () {
          yield body;
        },
        `writing ${key}`,
      );
    },
    multipart: {
      async create() {
        const uploadId = randomBytes(16).toString("hex");
        try {
          await mkdir(uploadDir(uploadId), { recursive: true });
        } catch (err) {
          throw fsError("starting an upload", err);
        }
        return uploadId;
      },
      async uploadPart(_key, uploadId, partNumber, body) {
        const dir = uploadDir(uploadId);
        await writeAtomically(
          join(dir, String(partNumber)),
          async function* () {
            yield body;
          },
          `upload ${uploadId} part ${partNumber}`,
        );
        return `"${partNumber}-${body.length}"`;
      },
      async complete(key, uploadId, parts) {
        const dir = uploadDir(uploadId);
        const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
        await writeAtomically(
          join(root, key),
          async function* () {
            for (const p of ordered) yield await readFile(join(dir, String(p.partNumber)));
          },
          `upload ${uploadId} of ${key}`,
        );
        await rm(dir, { recursive: true, force: true });
      },
      async abort(_key, uploadId) {
        await rm(uploadDir(uploadId), { recursive: true, force: true }).catch((err) => {
          throw fsError(`aborting upload ${uploadId}`, err);
        });
      },
    },
  };
}
