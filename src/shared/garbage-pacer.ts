// A thread's garbage collections paced by the work it does, where JavaScriptCore's own heuristics
// let dead memory pile up: each HTTP thread counts the bytes of request bodies (http/garbage.ts),
// the upload side its store calls (upload-side.ts). Collections are synchronous and on the
// calling thread; on Deno they are no-ops (runtime.ts).
import { collectAllGarbage, collectYoungGarbage } from "../runtime.ts";

export interface GarbagePacing {
  /** Units of work (bytes, calls) between two collections. */
  every: number;
  /** Every this many collections a full one instead of a young one; 0: young ones only, 1: full ones only. */
  fullEvery: number;
}

/**
 * Returns the function to call with each piece of work's size.
 *
 * @example
 * const collectAfter = createGarbagePacer({ every: 8 << 20, fullEvery: 0 });
 * collectAfter(body.length);
 */
export function createGarbagePacer(
  { every, fullEvery }: GarbagePacing,
  collect: { young: () => void; full: () => void } = { young: collectYoungGarbage, full: collectAllGarbage },
): (amount: number) => void {
  let since = 0;
  let collections = 0;
  return (amount) => {
    since += amount;
    if (since < every) return;
    since = 0;
    if (fullEvery > 0 && ++collections % fullEvery === 0) collect.full();
    else collect.young();
  };
}
