// One pass over a request body that (1) validates it as JSON exactly as strictly as
// `JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body))` would (json-syntax.ts),
// (2) finds the byte span of each payload in the top-level `data` array, so payloads are stored
// exactly as sent (JSON.parse rounds integers past 2^53), and (3) builds only the small envelope
// the schema checks. Payload contents are never turned into objects, which is most of the CPU
// and garbage JSON.parse would cost (BENCHMARKS.md).
//
// Side effect: line breaks between tokens inside a payload are replaced by spaces in `body`
// itself, so each payload fits on one NDJSON line (JSON strings cannot hold raw line breaks).

import { BACKSLASH, BOM, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "../json/json-bytes.ts";
import { fail, skipSpace, skipString, skipValue } from "../json/json-syntax.ts";

export interface ScannedCollection {
  /**
   * What the schema sees: the top-level value, with `data`'s object elements given as empty
   * objects (their contents are not materialised) and every other value as JSON.parse gives it.
   */
  envelope: unknown;
  /** Byte spans of the `data` elements: [start0, end0, start1, end1, ...]. */
  spans: number[];
}

const text = new TextDecoder("utf-8", { fatal: true });
const parseSlice = (s: Uint8Array, start: number, end: number): unknown => JSON.parse(text.decode(s.subarray(start, end)));

/** Whether the string spanning [start, end) (quotes included) has no escape in it. */
function unescaped(s: Uint8Array, start: number, end: number): boolean {
  for (let i = start + 1; i < end - 1; i++) if (s[i] === BACKSLASH) return false;
  return true;
}

/** The key spanning [start, end) (quotes included) as a string, decoded only when it is escaped. */
function keyOf(s: Uint8Array, start: number, end: number): string {
  const length = end - start - 2;
  for (const name of ENVELOPE_KEYS) {
    if (name.length !== length) continue;
    let k = 0;
    while (k < length && s[start + 1 + k] === name.charCodeAt(k)) k++;
    if (k === length) return name;
  }
  // Another key: only its name matters, never its value. Escaped: "d\u0061ta" is "data".
  return unescaped(s, start, end) ? "" : (parseSlice(s, start, end) as string);
}
const ENVELOPE_KEYS = ["data", "version", "token"] as const;

/**
 * The value the schema sees for a validated value it will reject or only type-check: containers
 * as empty ones (JSON.parse of a container nested 100,000 deep could exhaust the stack), strings
 * without escapes decoded directly, other scalars as JSON.parse gives them.
 */
function standIn(s: Uint8Array, start: number, end: number): unknown {
  const first = s[start];
  if (first === OPEN_BRACKET) return [];
  if (first === OPEN_BRACE) return {};
  if (first === QUOTE && unescaped(s, start, end)) return text.decode(s.subarray(start + 1, end - 1));
  return parseSlice(s, start, end);
}

/** What object payloads are to the schema: it only checks their type, so one frozen object serves them all. */
const PAYLOAD_STAND_IN = Object.freeze({});

/**
 * Past an element or a member and the space after it: past its comma and the space after that,
 * or past `close` when it ends its container (then `s[result - 1] === close`, which a comma and
 * space never leave). Fails on anything else.
 */
function pastSeparator(s: Uint8Array, i: number, close: number, what: string): number {
  i = skipSpace(s, i);
  if (s[i] === COMMA) return skipSpace(s, i + 1);
  if (s[i] === close) return i + 1;
  return fail(i, what);
}

/** Throws SyntaxError where JSON.parse would (invalid UTF-8 included). */
export function scanCollection(s: Uint8Array): ScannedCollection {
  let i = s[0] === BOM[0] && s[1] === BOM[1] && s[2] === BOM[2] ? BOM.length : 0; // as TextDecoder drops it
  const bodyStart = skipSpace(s, i);
  i = bodyStart;
  if (s[i] !== OPEN_BRACE) {
    // Not an object: no payloads to find. Validate, then let the schema say what is wrong.
    const end = skipSpace(s, skipValue(s, i, false));
    if (end !== s.length) fail(end, "unexpected data after the JSON value");
    return { envelope: standIn(s, bodyStart, end), spans: [] };
  }
  const envelope: Record<string, unknown> = {};
  let spans: number[] = [];
  i = skipSpace(s, i + 1);
  if (s[i] === CLOSE_BRACE) i++;
  else {
    for (;;) {
      if (s[i] !== QUOTE) fail(i, "expected a key");
      const keyStart = i;
      i = skipString(s, i);
      const keyEnd = i;
      i = skipSpace(s, i);
      if (s[i] !== COLON) fail(i, "expected a colon");
      i = skipSpace(s, i + 1);
      const valueStart = i;
      const key = keyOf(s, keyStart, keyEnd);
      if (key === "data" && s[i] === OPEN_BRACKET) {
        const data: unknown[] = [];
        spans = [];
        i = skipSpace(s, i + 1);
        if (s[i] === CLOSE_BRACKET) i++;
        else {
          for (;;) {
            const start = i;
            const isObject = s[i] === OPEN_BRACE;
            i = skipValue(s, i, true);
            spans.push(start, i);
            data.push(isObject ? PAYLOAD_STAND_IN : standIn(s, start, i));
            i = pastSeparator(s, i, CLOSE_BRACKET, "expected a comma or ]");
            if (s[i - 1] === CLOSE_BRACKET) break;
          }
        }
        envelope.data = data;
      } else {
        i = skipValue(s, i, false);
        if (key === "data") spans = []; // a later non-array data replaces an earlier array
        // Only what the schema checks is materialised; other members are validated, not built.
        if (key === "version" || key === "token" || key === "data") envelope[key] = standIn(s, valueStart, i);
      }
      i = pastSeparator(s, i, CLOSE_BRACE, "expected a comma or }");
      if (s[i - 1] === CLOSE_BRACE) break;
    }
  }
  i = skipSpace(s, i);
  if (i !== s.length) fail(i, "unexpected data after the JSON value");
  return { envelope, spans };
}
