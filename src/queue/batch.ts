// A batch: payloads taken out of the queue (or a spool segment) together, as NDJSON.
export interface Batch {
  /** The records as NDJSON: each one followed by a newline. */
  ndjson: Uint8Array;
  records: number;
}
