// Request bodies are ArrayBuffers that JavaScriptCore frees only when it collects, and it paces
// its collections by its own heuristics: at 30,000 requests a second, the HTTP thread held about
// 100 MiB of dead bodies between two of them, which was a quarter of the process's peak RSS.
// Collecting the young generation after every few MiB of bodies keeps that garbage small, for no
// CPU we could measure (BENCHMARKS.md): the bodies die young, so each collection is quick.
//
// Each HTTP thread has a heap of its own, so the bound is the process's, split among them. In
// disk mode a request waits for the spool's fsync, long enough for its body and request objects
// to outlive a young collection, which moves them to the old generation, where only a full
// collection frees them: so in disk mode every fourth collection is a full one. Memory mode
// does without, since there full collections cost more throughput than the memory they give
// back (BENCHMARKS.md, "the HTTP threads' garbage").
import type { Config } from "../config.ts";
import type { GarbagePacing } from "../shared/garbage-pacer.ts";

/** Bytes of request bodies, over all HTTP threads, between two collections. */
export const BODY_BYTES_PER_COLLECTION = 8 * 1024 * 1024;
/** Disk mode: every this many collections, a full one. */
export const DISK_FULL_EVERY = 4;

/** An HTTP thread's pacing, in bytes of request bodies: its share of the process's bound, and in disk mode the full collections. */
export function garbagePacing(config: Pick<Config, "HTTP_THREADS" | "DURABILITY">): GarbagePacing {
  return {
    every: BODY_BYTES_PER_COLLECTION / Math.max(1, config.HTTP_THREADS),
    fullEvery: config.DURABILITY === "disk" ? DISK_FULL_EVERY : 0,
  };
}
