// A payload line's prefix: what the HTTP thread knows of a payload that the payload does not
// hold. PARTITION_BY=version puts the payload's partition there (`version=1.2\x1E{...}`);
// FORMAT=parquet the time it was received and its collection's version, after META_START
// (`\x1F1796283000250\x1F"1.2"\x1E{...}`, both together `version=1.2\x1F...\x1E{...}`). It
// travels with the payload through the ring and the spool, and is left out of NDJSON objects.
// Valid JSON never holds these bytes raw and never starts with "v", so a prefixed line is told by
// its first byte. Both threads use this module; it imports neither.
import { type Batch, eachLine } from "../queue/batch.ts";

/** Ends a line's prefix. */
export const PREFIX_END = 0x1e;
/** Starts the metadata part of a prefix: the time received, then the version as a JSON string. */
export const META_START = 0x1f;
const PREFIXED = 0x76; // the "v" of "version="
const encoder = new TextEncoder();
const utf8 = new TextDecoder();

/** The prefix that puts a line in `partition`: its name, then PREFIX_END. */
export const linePrefix = (partition: string): Uint8Array => new Uint8Array([...new TextEncoder().encode(partition), PREFIX_END]);

/**
 * The prefix of the payloads of a collection received at `receivedMs` with envelope version
 * `version` (FORMAT=parquet), after `partition`'s name if given (PARTITION_BY=version).
 */
export function metaPrefix(receivedMs: number, version: string, partition = ""): Uint8Array {
  return encoder.encode(`${partition}\x1f${receivedMs}\x1f${JSON.stringify(version)}\x1e`);
}

/** What a line's prefix (the line [start, from), `from` its payloadStart) says of when and how its payload came; nulls when it says nothing. */
export function lineMeta(s: Uint8Array, start: number, from: number): { receivedMs: bigint | null; version: string | null } {
  let meta = start;
  while (meta < from && s[meta] !== META_START) meta++;
  if (meta >= from - 1) return { receivedMs: null, version: null };
  let split = meta + 1;
  while (split < from && s[split] !== META_START) split++;
  const ms = utf8.decode(s.subarray(meta + 1, split));
  return {
    receivedMs: /^\d+$/.test(ms) ? BigInt(ms) : null,
    version: split < from - 1 ? JSON.parse(utf8.decode(s.subarray(split + 1, from - 1))) : null,
  };
}

/** The end of a prefix's partition name (PARTITION_BY=version): its metadata, or its end. */
export function partitionEnd(s: Uint8Array, start: number, from: number): number {
  for (let i = start; i < from; i++) if (s[i] === META_START || s[i] === PREFIX_END) return i;
  return from;
}

/** Where the payload of the line [start, end) starts: past its prefix, if it has one. */
export function payloadStart(s: Uint8Array, start: number, end: number): number {
  if (s[start] !== PREFIXED && s[start] !== META_START) return start;
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

/**
 * `ndjson` with `partition`'s prefix in front of every line: what was stripped, given back (a
 * shutdown deadline saves it). A line with metadata already gets the name in front of it.
 */
export function prefixLines(ndjson: Uint8Array, partition: string): Uint8Array {
  const head = linePrefix(partition);
  let lines = 0;
  eachLine(ndjson, () => void lines++);
  const out = new Uint8Array(ndjson.length + lines * head.length);
  let at = 0;
  eachLine(ndjson, (start, end) => {
    // A line with metadata gets the name in front of it; one that has its partition already, nothing.
    const name = ndjson[start] === META_START ? head.subarray(0, head.length - 1) : ndjson[start] === PREFIXED ? head.subarray(0, 0) : head;
    out.set(name, at);
    at += name.length;
    const next = Math.min(end + 1, ndjson.length);
    out.set(ndjson.subarray(start, next), at);
    at += next - start;
  });
  return out.subarray(0, at);
}
