// The spool directory's identity and ownership: one process per directory (a PID lock, since a
// second process would append to and delete the same segments), and the instance id that names
// the objects of its segments, persisted so that a segment uploaded again after a restart gets
// the same key.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { newInstanceId } from "../shared/instance-id.ts";

/** Thrown when another live process holds the directory, or it cannot be set up. */
export class SpoolDirectoryError extends Error {
  override name = "SpoolDirectoryError";
}

/** Creates the directory if needed, takes its lock, and returns its instance id. */
export function openSpoolDirectory(dir: string): { instanceId: string } {
  mkdirSync(dir, { recursive: true });
  takeLock(dir);
  const idFile = join(dir, "instance-id");
  try {
    return { instanceId: readFileSync(idFile, "utf8").trim() };
  } catch {
    const instanceId = newInstanceId();
    writeFileSync(idFile, instanceId);
    return { instanceId };
  }
}

/** Makes a file's creation, rename or removal durable: fsync the directory that holds it. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `text` to `path` whole or not at all, durably: into `{path}.tmp`, fsync'd, renamed over
 * `path`, the directory fsync'd. A failed write leaves no tmp file (a start removes torn ones).
 */
export async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, "w");
  try {
    await file.writeFile(text);
    await file.datasync();
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  syncDir(dirname(path));
}

function takeLock(dir: string): void {
  const path = join(dir, "lock");
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const holder = Number(readFileSync(path, "utf8").trim());
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new SpoolDirectoryError(`SPOOL_DIR ${dir} is in use by process ${holder}: give each process its own`);
  }
  writeFileSync(path, String(process.pid)); // left by a process that is gone
}

/**
 * Whether process `pid` exists, by signal 0: ESRCH says it doesn't, EPERM that it does (another
 * user's). Any other refusal (Deno without --allow-run, which its task grants for this) can't
 * tell, so the holder counts as alive: two processes on one spool would lose data, a refused
 * start only waits for an operator.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
