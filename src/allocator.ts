// Bun's allocator (mimalloc) hands freed pages back to the OS 100 ms after they are freed. Under
// load the HTTP thread frees and reuses request memory all the time, so those pages are unmapped
// and faulted back in over and over, with the TLB flushes that unmapping costs every thread. With
// MIMALLOC_PURGE_DELAY=1000 the same load took about a fifth less CPU per request for a few MiB
// more RSS (BENCHMARKS.md). mimalloc reads the variable once, at process start, so when the
// operator has not set it the process replaces itself (execve: same PID, so signals and process
// managers are unaffected) with the default set. main.ts calls this before it loads anything
// else, so the replaced process has done almost no work.

/** MIMALLOC_PURGE_DELAY's default (config.ts declares the variable with it). */
export const DEFAULT_PURGE_DELAY_MS = 1000;

/** Returns only when nothing needs doing; otherwise the process image is replaced. */
export function applyAllocatorSettings(env: Record<string, string | undefined> = process.env): void {
  const onBun = typeof Bun !== "undefined";
  if (!onBun || env.MIMALLOC_PURGE_DELAY !== undefined || typeof process.execve !== "function") return;
  // A compiled executable's argv[1] is its embedded entry point, which it adds again itself.
  const compiled = process.argv[1]?.startsWith("/$bunfs/") ?? false;
  const argv = compiled ? [process.execPath, ...process.argv.slice(2)] : [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, argv, { ...env, MIMALLOC_PURGE_DELAY: String(DEFAULT_PURGE_DELAY_MS) });
  } catch {
    // Not fatal: the service runs with Bun's default, only less efficiently.
  }
}
