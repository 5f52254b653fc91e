// One top-level field of a payload, read from its bytes without turning the payload into an
// object: the partition value (PARTITION_BY). The payload was validated when it was posted, so
// this walks it with the scanner's own steps and stops at the field. Only strings, numbers and
// booleans are values here; a missing field, null, an object or an array is not.
import { BACKSLASH, COMMA, OPEN_BRACE, QUOTE } from "./json-bytes.ts";
import { skipSpace, skipString, skipValue } from "./json-syntax.ts";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Whether [start, end) holds a backslash: an escaped string or key. */
function escaped(s: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (s[i] === BACKSLASH) return true;
  return false;
}

/** A value's bytes in a payload: [start, end), a string's quotes included. */
export interface ValueSpan {
  start: number;
  end: number;
}

/** A value's text: a string's decoded characters, a number's digits as sent, `true` or `false`; null for null, an object or an array. */
export function valueText(s: Uint8Array, start: number, end: number): string | null {
  const b = s[start];
  if (b === QUOTE) return escaped(s, start, end) ? JSON.parse(utf8.decode(s.subarray(start, end))) : utf8.decode(s.subarray(start + 1, end - 1));
  if (b === 0x74 /* t */ || b === 0x66 /* f */) return b === 0x74 ? "true" : "false";
  if (b === 0x2d /* - */ || (b !== undefined && b >= 0x30 && b <= 0x39)) return utf8.decode(s.subarray(start, end));
  return null;
}

/**
 * Finds the field `name` in payloads, allocating nothing: it gives where the value lies (the
 * same object each call, overwritten by the next), or null when the payload has no such field.
 * The first occurrence of a repeated key counts.
 *
 * @example
 * const find = fieldFinder("event");
 * const span = find(bytes, 0, bytes.length); // {"event":"boot","id":1}: bytes 9 to 15, "boot" with its quotes
 */
export function fieldFinder(name: string) {
  const key = encoder.encode(JSON.stringify(name)); // the key as sent when it has no escapes
  const span: ValueSpan = { start: 0, end: 0 };

  const isKey = (s: Uint8Array, start: number, end: number): boolean => {
    if (escaped(s, start, end)) return JSON.parse(utf8.decode(s.subarray(start, end))) === name;
    if (end - start !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (s[start + k] !== key[k]) return false;
    return true;
  };

  /** The field's value in the payload at [start, end) of `s` (a valid JSON object: it was checked when posted). */
  return (s: Uint8Array, start: number, end: number): ValueSpan | null => {
    let i = skipSpace(s, start);
    if (s[i] !== OPEN_BRACE) return null;
    i = skipSpace(s, i + 1);
    while (i < end && s[i] === QUOTE) {
      const keyStart = i;
      i = skipString(s, i);
      const keyEnd = i;
      i = skipSpace(s, i) + 1; // the colon
      i = skipSpace(s, i);
      const valueStart = i;
      i = skipValue(s, i, false);
      if (isKey(s, keyStart, keyEnd)) {
        span.start = valueStart;
        span.end = i;
        return span;
      }
      i = skipSpace(s, i);
      if (s[i] !== COMMA) return null; // the closing brace: no such field
      i = skipSpace(s, i + 1);
    }
    return null; // an empty object
  };
}
