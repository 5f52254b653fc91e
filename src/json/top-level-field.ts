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

/**
 * A reader of the field `name` of payloads: it gives the value's text (a string's decoded
 * characters, a number's digits as sent, `true` or `false`), or null when the payload has no
 * such field or it holds another type. The first occurrence of a repeated key counts.
 *
 * @example
 * const eventOf = fieldReader("event");
 * eventOf(bytes, 0, bytes.length); // "boot" for {"event":"boot","id":1}
 */
export function fieldReader(name: string) {
  const key = encoder.encode(JSON.stringify(name)); // the key as sent when it has no escapes

  const isKey = (s: Uint8Array, start: number, end: number): boolean => {
    if (escaped(s, start, end)) return JSON.parse(utf8.decode(s.subarray(start, end))) === name;
    if (end - start !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (s[start + k] !== key[k]) return false;
    return true;
  };

  const valueAt = (s: Uint8Array, start: number, end: number): string | null => {
    const b = s[start];
    if (b === QUOTE) return escaped(s, start, end) ? JSON.parse(utf8.decode(s.subarray(start, end))) : utf8.decode(s.subarray(start + 1, end - 1));
    if (b === 0x74 /* t */ || b === 0x66 /* f */) return b === 0x74 ? "true" : "false";
    if (b === 0x2d /* - */ || (b !== undefined && b >= 0x30 && b <= 0x39)) return utf8.decode(s.subarray(start, end));
    return null; // null, an object, an array
  };

  /** The field's value in the payload at [start, end) of `s`. */
  return (s: Uint8Array, start: number, end: number): string | null => {
    const payload = start === 0 && end === s.length ? s : s.subarray(start, end);
    let i = skipSpace(payload, 0);
    if (payload[i] !== OPEN_BRACE) return null;
    i = skipSpace(payload, i + 1);
    while (payload[i] === QUOTE) {
      const keyStart = i;
      i = skipString(payload, i);
      const keyEnd = i;
      i = skipSpace(payload, i) + 1; // the colon
      i = skipSpace(payload, i);
      const valueStart = i;
      i = skipValue(payload, i, false);
      if (isKey(payload, keyStart, keyEnd)) return valueAt(payload, valueStart, i);
      i = skipSpace(payload, i);
      if (payload[i] !== COMMA) return null; // the closing brace: no such field
      i = skipSpace(payload, i + 1);
    }
    return null; // an empty object
  };
}
export type FieldReader = ReturnType<typeof fieldReader>;
