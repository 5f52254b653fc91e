// Partitions (PARTITION_BY): each payload goes to the object of `{field}={value}`, the value read
// from its bytes (json/top-level-field.ts). Values are made safe as one level of an S3 key that
// Hive-style readers parse: every byte but [A-Za-z0-9_.-] is percent-encoded (as UTF-8), which
// Athena, Spark and DuckDB decode; a value longer than VALUE_MAX_BYTES encoded keeps its start
// and a hash of the whole. Payloads whose field is missing or not a string, number or boolean go
// to `__missing__`, never dropped; past PARTITION_MAX_ACTIVE open partitions, new values go to
// `__other__` (upload/admission.ts decides that). PARTITION_BY=version partitions by the collection's
// envelope version instead: the HTTP thread puts each payload's partition in front of its line.
import { createHash } from "node:crypto";
import { fieldFinder, type ValueSpan, valueText } from "../json/top-level-field.ts";
import { type Batch, eachLine } from "../queue/batch.ts";
import { linePrefix, META_START, partitionEnd, payloadStart } from "./line-prefix.ts";

/** The value of payloads without one: the field missing, null, an object or an array. */
export const MISSING = "__missing__";
/** The value of payloads whose field is the empty string. */
export const EMPTY = "__empty__";
/** The value of payloads past PARTITION_MAX_ACTIVE open partitions. */
export const OTHER = "__other__";
/** Values whose partition name the partitioner keeps, so as not to encode them again. */
const KNOWN_VALUES = 10_000;
/** Longest encoded value in a key: longer ones keep their start and a hash of the whole. */
export const VALUE_MAX_BYTES = 128;

const SAFE = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") SAFE[c.charCodeAt(0)] = 1;
const HEX = "0123456789ABCDEF";
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1"); // a partition's name is ASCII

/** One character, percent-encoded as UTF-8 unless it is one of [A-Za-z0-9_.-]. */
function encodeChar(ch: string): string {
  if (ch.length === 1 && SAFE[ch.charCodeAt(0)]) return ch;
  let out = "";
  for (const b of encoder.encode(ch)) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  return out;
}

/** `value` as one level of an S3 key: percent-encoded UTF-8 but for [A-Za-z0-9_.-], capped at VALUE_MAX_BYTES. */
export function safeValue(value: string | null): string {
  if (value === null) return MISSING;
  if (value === "") return EMPTY;
  const chars = Array.from(value, encodeChar);
  const whole = chars.join("");
  if (whole.length <= VALUE_MAX_BYTES) return whole;
  // The start that fits beside the hash, cut between characters: never inside one's escapes.
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 16);
  let start = "";
  for (const c of chars) {
    if (start.length + c.length > VALUE_MAX_BYTES - hash.length - 1) break;
    start += c;
  }
  return `${start}_${hash}`;
}

/** A payload's partition: `field=value`, the key level its object goes under. */
export const partitionOf = (field: string, value: string | null): string => `${field}=${safeValue(value)}`;

/** PARTITION_BY's name for the collection's envelope version, which the payloads do not hold: it comes in each line's prefix (line-prefix.ts). */
export const VERSION_FIELD = "version";

/**
 * The line prefix of the payloads of a collection whose envelope version is `version`, for the
 * HTTP thread (PARTITION_BY=version): the partition, then PREFIX_END. Known versions are kept.
 */
export function versionPrefixer(): (version: string) => Uint8Array {
  const known = new Map<string, Uint8Array>();
  return (version) => {
    let prefix = known.get(version);
    if (!prefix) {
      if (known.size >= KNOWN_VALUES) known.clear();
      prefix = linePrefix(partitionOf(VERSION_FIELD, version));
      known.set(version, prefix);
    }
    return prefix;
  };
}

/**
 * Tells the partition of payloads by the field `field` of each (past the line's prefix, if it
 * has one); with `version`, by the partition their line's prefix names.
 *
 * @example
 * const split = partitioner("event");
 * split.of(line, 0, line.length); // "event=boot"
 * split.single(batch);            // "event=boot" if every payload of it is, else null
 */
export function partitioner(field: string) {
  const byVersion = field === VERSION_FIELD;
  const find = fieldFinder(field);
  const missing = partitionOf(field, null);
  const prefix: ValueSpan = { start: 0, end: 0 };
  const spanOf = (s: Uint8Array, start: number, end: number): ValueSpan | null => {
    const from = payloadStart(s, start, end);
    if (!byVersion) return find(s, from, end);
    if (from === start || s[start] === META_START) return null; // no partition in front of its metadata
    prefix.start = start;
    prefix.end = partitionEnd(s, start, from);
    return prefix;
  };
  // Values repeat: each one's partition is kept by its bytes, so that most payloads cost a
  // hash and a compare, and allocate nothing. Bounded in count, and only short values are kept.
  const known = new Map<number, { bytes: Uint8Array; partition: string }[]>();
  let knownCount = 0;
  const partitionFor = (s: Uint8Array, start: number, end: number): string => {
    const span = spanOf(s, start, end);
    if (!span) return missing;
    const length = span.end - span.start;
    let hash = 0x811c9dc5; // FNV-1a
    for (let i = span.start; i < span.end; i++) hash = Math.imul(hash ^ s[i]!, 0x01000193);
    let entries = known.get(hash);
    if (entries) {
      for (const e of entries) {
        if (e.bytes.length !== length) continue;
        let i = 0;
        while (i < length && e.bytes[i] === s[span.start + i]) i++;
        if (i === length) return e.partition;
      }
    }
    const partition = byVersion ? latin1.decode(s.subarray(span.start, span.end)) : partitionOf(field, valueText(s, span.start, span.end));
    if (length <= VALUE_MAX_BYTES + VERSION_FIELD.length + 1) {
      if (knownCount >= KNOWN_VALUES) {
        known.clear();
        knownCount = 0;
        entries = undefined;
      }
      const entry = { bytes: s.slice(span.start, span.end), partition };
      if (entries) entries.push(entry);
      else known.set(hash, [entry]);
      knownCount++;
    }
    return partition;
  };
  /** The partition of every payload of the batch if they share one, else null (it stops at the first that differs). */
  const single = (batch: Batch): string | null => {
    const s = batch.ndjson;
    let only: string | null = null;
    let shared = true;
    eachLine(s, (start, end) => {
      const partition = partitionFor(s, start, end);
      shared = only === null || partition === only;
      only = partition;
      return shared;
    });
    return shared ? only : null;
  };
  /** `of`: the partition of the payload at [start, end) of `s` (its line, without the newline). */
  return { of: partitionFor, single };
}
export type Partitioner = ReturnType<typeof partitioner>;
