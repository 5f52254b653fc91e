// PARTITION_BY=version's line prefix. The envelope's version is not in the payload, so the HTTP
// thread puts the payload's partition in front of its line, ended by PREFIX_END
// (`version=1.2\x1E{...}`). It travels with the payload through the ring and the spool, and is
// left out when the payload goes into an object. Valid JSON never holds this byte raw and never
// starts with "v", so a prefixed line is told by its first byte. Both threads use this module;
// it imports neither.
import { type Batch, eachLine } from "../queue/batch.ts";

/** Ends a line's prefix. */
export const PREFIX_END = 0x1e;
const PREFIXED = 0x76; // the "v" of "version="

/** The prefix that puts a line in `partition`: its name, then PREFIX_END. */
export const linePrefix = (partition: string): Uint8Array => new Uint8Array([...new TextEncoder().encode(partition), PREFIX_END]);

/** Where the payload of the line [start, end) starts: past its prefix, if it has one. */
export function payloadStart(s: Uint8Array, start: number, end: number): number {
  if (s[start] !== PREFIXED) return start;
  for (let i = start + 1; i < end; i++) if (s[i] === PREFIX_END) return i + 1;
  return start;
}

/** The batch without its lines' prefixes, moved within its own bytes; the batch itself if none has one. */
export function stripPrefixes(batch: Batch): Batch {
  const s = batch.ndjson;
  let to = 0;
  let moved = false;
  eachLine(s, (start, end) => {
    const from = payloadStart(s, start, end);
    const next = Math.min(end + 1, s.length);
    if (from !== start || moved) {
      s.copyWithin(to, from, next);
      moved = true;
    }
    to += next - from;
  });
  return moved ? { ndjson: s.subarray(0, to), payloads: batch.payloads } : batch;
}

/** `ndjson` with `partition`'s prefix in front of every line: what was stripped, given back (a shutdown deadline saves it). */
export function prefixLines(ndjson: Uint8Array, partition: string): Uint8Array {
  const head = linePrefix(partition);
  let lines = 0;
  eachLine(ndjson, () => void lines++);
  const out = new Uint8Array(ndjson.length + lines * head.length);
  let at = 0;
  eachLine(ndjson, (start, end) => {
    out.set(head, at);
    at += head.length;
    const next = Math.min(end + 1, ndjson.length);
    out.set(ndjson.subarray(start, next), at);
    at += next - start;
  });
  return out;
}
