// A batch: payloads taken out of the queue (or a spool segment) together, as NDJSON.
export interface Batch {
  /** The payloads as NDJSON: each one followed by a newline. */
  ndjson: Uint8Array;
  payloads: number;
}
