// A payload's fields split by the declared columns, read from its bytes: each column's value,
// typed, and every other field kept as its exact bytes in `extra`, a JSON object (null when
// nothing is left). A dotted column reads into a nested object, whose other fields stay in
// `extra` under the same key. A value that does not fit its column's type is null there, kept in
// `extra` as sent, and reported as mismatched. So the typed values and `extra` together give the
// payload back, field for field (a JSON null reads as a missing field). A payload that is not an
// object has no fields: every column is null and `extra` is the payload itself.

import type { Column, ColumnType } from "../columns.ts";
import { OPEN_BRACE, QUOTE } from "../json/json-bytes.ts";
import { skipSpace } from "../json/json-syntax.ts";
import { eachMember } from "../json/members.ts";
import { valueText } from "../json/top-level-field.ts";

/** A column's value: string (string, json), bigint (bigint, timestamp_ms in ms), number (double, date in days since the epoch), boolean, or null. */
export type Value = string | bigint | number | boolean | null;

export interface PayloadFields {
  /** By column, in declaration order. */
  values: Value[];
  /** The fields no column took, as a JSON object of their exact bytes; null when none is left. */
  extra: string | null;
  /** Columns whose value did not fit their type (null in `values`, kept in `extra`). */
  mismatched: number[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
/** ISO-8601: a date, or a date-time with its offset (a time without one would be read in the machine's zone). */
const ISO_DATE_TIME = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d:?\d\d))?$/;
const ISO_DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const utf8 = new TextDecoder();

/** Not a value of the column's type. */
const MISMATCH = Symbol("mismatch");

/** An ASCII span as a string: numbers are short, and a TextDecoder call costs more than the loop. */
function ascii(s: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(s[i] as number);
  return text;
}

/** A JSON number's digits as a 64-bit integer; null if it is not one. */
export function int64(text: string): bigint | null {
  if (!INTEGER.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/** An ISO-8601 date or date-time with its offset, as epoch milliseconds (timestamp_ms); null if it is not one. */
export function isoDateTime(text: string): bigint | null {
  if (!ISO_DATE_TIME.test(text)) return null;
  const ms = Date.parse(text.replace(" ", "T"));
  return Number.isNaN(ms) ? null : BigInt(ms);
}

/** A `YYYY-MM-DD` date as days since the epoch (date); null if it is not one. */
export function isoDate(text: string): number | null {
  const m = ISO_DATE.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2026-02-31 over into March: such a date is no date.
  return new Date(ms).toISOString().startsWith(text) ? ms / MS_PER_DAY : null;
}

/** The value at [start, end) of `s` as a `type`, or MISMATCH. `null` has been handled. */
function convert(type: ColumnType, s: Uint8Array, start: number, end: number): Value | typeof MISMATCH {
  const first = s[start];
  const isString = first === QUOTE;
  const isNumber = first === 0x2d || (first !== undefined && first >= 0x30 && first <= 0x39);
  switch (type) {
    case "json":
      return utf8.decode(s.subarray(start, end));
    case "string":
      return isString ? valueText(s, start, end) : MISMATCH;
    case "boolean":
      return first === 0x74 ? true : first === 0x66 ? false : MISMATCH;
    case "double":
      return isNumber ? Number(ascii(s, start, end)) : MISMATCH;
    case "bigint":
      return (isNumber ? int64(ascii(s, start, end)) : null) ?? MISMATCH;
    case "timestamp_ms": {
      const text = isString ? valueText(s, start, end) : null;
      return (isNumber ? int64(ascii(s, start, end)) : text !== null ? isoDateTime(text) : null) ?? MISMATCH;
    }
    case "date": {
      const text = isString ? valueText(s, start, end) : null;
      return (text !== null ? isoDate(text) : null) ?? MISMATCH;
    }
  }
}

/** The keys a column path goes through: a column at its end, or the keys below. */
interface Node {
  column?: number;
  children?: Level;
}

/** A level's keys, by name, and as the UTF-8 bytes an unescaped key is sent as. */
type Level = Map<string, Node> & { bytes?: { key: Uint8Array; node: Node }[] };

const encoder = new TextEncoder();

/** The node of the key at [keyStart, keyEnd) (its quotes included), compared byte by byte unless it has escapes. */
function nodeOf(level: Level, s: Uint8Array, keyStart: number, keyEnd: number): Node | undefined {
  const from = keyStart + 1;
  const length = keyEnd - 1 - from;
  let escaped = false;
  for (let i = from; i < keyEnd - 1; i++) if (s[i] === 0x5c) escaped = true;
  if (escaped) return level.get(valueText(s, keyStart, keyEnd) as string);
  level.bytes ??= [...level].map(([name, node]) => ({ key: encoder.encode(name), node }));
  for (const { key, node } of level.bytes) {
    if (key.length !== length) continue;
    let i = 0;
    while (i < length && key[i] === s[from + i]) i++;
    if (i === length) return node;
  }
  return undefined;
}

function treeOf(columns: readonly Column[]): Level {
  const root: Level = new Map<string, Node>();
  columns.forEach((column, index) => {
    let level = root;
    column.path.forEach((key, depth) => {
      const node = level.get(key) ?? {};
      level.set(key, node);
      if (depth === column.path.length - 1) node.column = index;
      else {
        node.children ??= new Map();
        level = node.children;
      }
    });
  });
  return root;
}

/**
 * @example
 * const read = payloadReader(parseColumns("event:string,counters.cpu_ms:bigint"));
 * read(bytes, 0, bytes.length); // {"event":"boot","counters":{"cpu_ms":7,"mem":1},"x":2}
 * // { values: ["boot", 7n], extra: '{"counters":{"mem":1},"x":2}', mismatched: [] }
 */
export function payloadReader(columns: readonly Column[]): (s: Uint8Array, start: number, end: number) => PayloadFields {
  const root = treeOf(columns);
  const seen = new Uint8Array(columns.length);
  const out: PayloadFields = { values: new Array(columns.length).fill(null), extra: null, mismatched: [] };
  /** Values taken so far in this payload: an object no column took a value from stays in extra whole. */
  let taken = 0;

  /** Reads the object at `i`'s members against `level`; pushes what no column takes to `parts`; returns the index past it. */
  const readObject = (s: Uint8Array, i: number, level: Level, parts: string[]): number =>
    eachMember(s, i, (keyStart, keyEnd, valueStart, valueEnd) => {
      // What no column takes is kept as sent, key to value (any space around its colon included).
      const node = nodeOf(level, s, keyStart, keyEnd);
      if (!node) parts.push(utf8.decode(s.subarray(keyStart, valueEnd)));
      else if (node.children) {
        if (s[valueStart] !== OPEN_BRACE) parts.push(utf8.decode(s.subarray(keyStart, valueEnd)));
        else {
          const inner: string[] = [];
          const before = taken;
          readObject(s, valueStart, node.children, inner);
          if (inner.length > 0 || taken === before) parts.push(`${utf8.decode(s.subarray(keyStart, keyEnd))}:{${inner.join(",")}}`);
        }
      } else if (node.column !== undefined) {
        const column = node.column;
        if (seen[column])
          parts.push(utf8.decode(s.subarray(keyStart, valueEnd))); // a repeated key: the first counts
        else {
          seen[column] = 1;
          const value = s[valueStart] === 0x6e ? null : convert(columns[column]!.type, s, valueStart, valueEnd); // n: null
          if (value === MISMATCH) {
            out.mismatched.push(column);
            parts.push(utf8.decode(s.subarray(keyStart, valueEnd)));
          } else if (value !== null) {
            out.values[column] = value;
            taken++;
          }
        }
      }
    });

  return (s, start, end) => {
    out.values.fill(null);
    seen.fill(0);
    out.mismatched = [];
    taken = 0;
    const i = skipSpace(s, start);
    if (s[i] !== OPEN_BRACE) {
      out.extra = utf8.decode(s.subarray(start, end));
      return out;
    }
    const parts: string[] = [];
    readObject(s, i, root, parts);
    out.extra = parts.length > 0 ? `{${parts.join(",")}}` : null;
    return out;
  };
}
