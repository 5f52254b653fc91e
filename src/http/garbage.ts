// Request bodies are ArrayBuffers that JavaScriptCore frees only when it collects, and it paces
// its collections by its own heuristics: at 30,000 requests a second, the HTTP thread held about
// 100 MiB of dead bodies between two of them, which was a quarter of the process's peak RSS.
// Collecting the young generation after every few MiB of bodies keeps that garbage small, for no
// CPU we could measure (BENCHMARKS.md): the bodies die young, so each collection is quick.
import { collectYoungGarbage } from "../runtime.ts";

/** Bytes of request bodies between two young-generation collections. */
export const BODY_BYTES_PER_COLLECTION = 8 * 1024 * 1024;

/**
 * Returns the function to call with each body's size.
 *
 * @param everyBytes @default BODY_BYTES_PER_COLLECTION (8 MiB)
 * @example
 * const collectAfter = createGarbagePacer();
 * collectAfter(body.length);
 */
export function createGarbagePacer(everyBytes = BODY_BYTES_PER_COLLECTION, collect = collectYoungGarbage): (bodyBytes: number) => void {
  let since = 0;
  return (bodyBytes) => {
    since += bodyBytes;
    if (since < everyBytes) return;
    since = 0;
    collect();
  };
}
