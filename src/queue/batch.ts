// A batch: payloads taken out of the queue (or a spool segment) together, as NDJSON.
export interface Batch {
  /** The payloads as NDJSON: each one followed by a newline. */
  ndjson: Uint8Array;
  payloads: number;
}

/**
 * Calls `visit(start, end)` for each payload of `ndjson`, in order: its line is [start, end), the
 * newline left out. Stops once `visit` returns false.
 */
export function eachLine(ndjson: Uint8Array, visit: (start: number, end: number) => unknown): void {
  for (let start = 0; start < ndjson.length; ) {
    let end = ndjson.indexOf(0x0a, start);
    if (end < 0) end = ndjson.length;
    if (visit(start, end) === false) return;
    start = end + 1;
  }
}
