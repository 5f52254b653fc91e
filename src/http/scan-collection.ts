// One pass over a request body that (1) validates it as JSON exactly as strictly as
// `JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body))` would, (2) finds the byte
// span of each payload in the top-level `data` array, so payloads are stored exactly as sent
// (JSON.parse rounds integers past 2^53), and (3) builds only the small envelope the schema
// checks. Payload contents are never turned into objects, which is most of the CPU and garbage
// JSON.parse would cost (BENCHMARKS.md). It is iterative: no nesting depth can overflow a stack.
//
// Side effect: line breaks between tokens inside a payload are replaced by spaces in `body`
// itself, so each payload fits on one NDJSON line (JSON strings cannot hold raw line breaks).

export interface ScannedCollection {
  /**
   * What the schema sees: the top-level value, with `data`'s object elements given as empty
   * objects (their contents are not materialised) and every other value as JSON.parse gives it.
   */
  envelope: unknown;
  /** Byte spans of the `data` elements: [start0, end0, start1, end1, ...]. */
  spans: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Bytes a string's inner loop must stop at: the quote, a backslash, control bytes, non-ASCII. */
const STOPS_STRING = new Uint8Array(256);
for (let b = 0; b < 256; b++) STOPS_STRING[b] = b === QUOTE || b === BACKSLASH || b < SPACE || b >= 0x80 ? 1 : 0;

const fail = (at: number, what: string): never => {
  throw new SyntaxError(`${what} at byte ${at}`);
};
const isDigit = (b: number) => b >= ZERO && b <= NINE;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const text = new TextDecoder("utf-8", { fatal: true });
const parseSlice = (s: Uint8Array, start: number, end: number): unknown => JSON.parse(text.decode(s.subarray(start, end)));

/** Validates one UTF-8 sequence starting at `i` (a byte >= 0x80); returns the index after it. */
function skipUtf8(s: Uint8Array, i: number): number {
  const b = s[i]!;
  let need: number;
  let min: number;
  let max = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    need = 1;
    min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    min = b === 0xe0 ? 0xa0 : 0x80; // no overlong forms
    if (b === 0xed) max = 0x9f; // no UTF-16 surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    min = b === 0xf0 ? 0x90 : 0x80;
    if (b === 0xf4) max = 0x8f; // nothing past U+10FFFF
  } else {
    return fail(i, "invalid UTF-8");
  }
  const second = s[i + 1];
  if (second === undefined || second < min || second > max) fail(i, "invalid UTF-8");
  for (let k = 2; k <= need; k++) {
    const c = s[i + k];
    if (c === undefined || c < 0x80 || c > 0xbf) fail(i, "invalid UTF-8");
  }
  return i + need + 1;
}

/** Index just past the string opening at `i`; validates escapes, control bytes and UTF-8. */
function skipString(s: Uint8Array, i: number): number {
  const n = s.length;
  i++;
  for (;;) {
    while (i < n && STOPS_STRING[s[i]!] === 0) i++; // the common case: plain ASCII
    if (i >= n) return fail(i, "unterminated string");
    const b = s[i]!;
    if (b === QUOTE) return i + 1;
    if (b === BACKSLASH) {
      const e = s[i + 1];
      if (e === 0x75) {
        // \uXXXX
        if (!(isHex(s[i + 2]!) && isHex(s[i + 3]!) && isHex(s[i + 4]!) && isHex(s[i + 5]!))) fail(i, "bad \\u escape");
        i += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else {
        return fail(i, "bad escape");
      }
    } else if (b < SPACE) {
      return fail(i, "control character in string");
    } else {
      i = skipUtf8(s, i);
    }
  }
}

/** Index just past the number starting at `i`, following JSON's grammar exactly. */
function skipNumber(s: Uint8Array, i: number): number {
  if (s[i] === MINUS) i++;
  if (s[i] === ZERO) i++;
  else if (isDigit(s[i]!)) while (isDigit(s[i]!)) i++;
  else return fail(i, "bad number");
  if (s[i] === DOT) {
    i++;
    if (!isDigit(s[i]!)) fail(i, "bad number");
    while (isDigit(s[i]!)) i++;
  }
  if (s[i] === 0x65 || s[i] === 0x45) {
    i++;
    if (s[i] === PLUS || s[i] === MINUS) i++;
    if (!isDigit(s[i]!)) fail(i, "bad number");
    while (isDigit(s[i]!)) i++;
  }
  return i;
}

function skipLiteral(s: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (s[i + k] !== word.charCodeAt(k)) fail(i, "unexpected token");
  return i + word.length;
}

/** Index just past the scalar (string, number, literal) starting at `i`. */
function skipScalar(s: Uint8Array, i: number): number {
  const b = s[i];
  if (b === QUOTE) return skipString(s, i);
  if (b === MINUS || isDigit(b!)) return skipNumber(s, i);
  if (b === 0x74) return skipLiteral(s, i, "true");
  if (b === 0x66) return skipLiteral(s, i, "false");
  if (b === 0x6e) return skipLiteral(s, i, "null");
  return fail(i, b === undefined ? "unexpected end" : "unexpected token");
}

/**
 * Index just past the value starting at `i`, validating all of it. Containers are walked with an
 * explicit stack. With `oneLine`, line breaks between its tokens become spaces in `s`.
 */
function skipValue(s: Uint8Array, i: number, oneLine: boolean): number {
  const first = s[i];
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return skipScalar(s, i);
  const stack: number[] = [];
  // expectKey: inside an object, before a key (or the closing brace when `empty`)
  let expectKey = false;
  let empty = false;
  for (;;) {
    // at a value position (or a key position in an object)
    let b = s[i];
    while (b === SPACE || b === NEWLINE || b === CR || b === TAB) {
      if (oneLine && b !== SPACE && b !== TAB) s[i] = SPACE;
      b = s[++i];
    }
    if (expectKey) {
      if (b === CLOSE_BRACE && empty) {
        i++;
        stack.pop();
      } else {
        if (b !== QUOTE) return fail(i, "expected a key");
        i = skipString(s, i);
        b = s[i];
        while (b === SPACE || b === NEWLINE || b === CR || b === TAB) {
          if (oneLine && b !== SPACE && b !== TAB) s[i] = SPACE;
          b = s[++i];
        }
        if (b !== COLON) return fail(i, "expected a colon");
        i++;
        expectKey = false;
        continue;
      }
    } else if (b === OPEN_BRACE) {
      stack.push(OPEN_BRACE);
      i++;
      expectKey = true;
      empty = true;
      continue;
    } else if (b === OPEN_BRACKET) {
      stack.push(OPEN_BRACKET);
      i++;
      b = s[i];
      while (b === SPACE || b === NEWLINE || b === CR || b === TAB) {
        if (oneLine && b !== SPACE && b !== TAB) s[i] = SPACE;
        b = s[++i];
      }
      if (b === CLOSE_BRACKET) {
        i++;
        stack.pop();
      } else continue;
    } else {
      i = skipScalar(s, i);
    }
    // after a value: a comma, or the end of one or more containers
    for (;;) {
      if (stack.length === 0) return i;
      b = s[i];
      while (b === SPACE || b === NEWLINE || b === CR || b === TAB) {
        if (oneLine && b !== SPACE && b !== TAB) s[i] = SPACE;
        b = s[++i];
      }
      const open = stack[stack.length - 1];
      if (b === COMMA) {
        i++;
        expectKey = open === OPEN_BRACE;
        empty = false;
        break;
      }
      if ((open === OPEN_BRACE && b === CLOSE_BRACE) || (open === OPEN_BRACKET && b === CLOSE_BRACKET)) {
        i++;
        stack.pop();
        continue;
      }
      return fail(i, b === undefined ? "unexpected end" : "expected a comma or a closing bracket");
    }
  }
}

function skipSpace(s: Uint8Array, i: number): number {
  let b = s[i];
  while (b === SPACE || b === NEWLINE || b === CR || b === TAB) b = s[++i];
  return i;
}

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

/** Throws SyntaxError where JSON.parse would (invalid UTF-8 included). */
export function scanCollection(s: Uint8Array): ScannedCollection {
  let i = s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf ? 3 : 0; // UTF-8 BOM, as TextDecoder drops it
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
            i = skipSpace(s, i);
            if (s[i] === COMMA) i = skipSpace(s, i + 1);
            else if (s[i] === CLOSE_BRACKET) {
              i++;
              break;
            } else fail(i, "expected a comma or ]");
          }
        }
        envelope.data = data;
      } else {
        i = skipValue(s, i, false);
        if (key === "data") spans = []; // a later non-array data replaces an earlier array
        // Only what the schema checks is materialised; other members are validated, not built.
        if (key === "version" || key === "token" || key === "data") envelope[key] = standIn(s, valueStart, i);
      }
      i = skipSpace(s, i);
      if (s[i] === COMMA) i = skipSpace(s, i + 1);
      else if (s[i] === CLOSE_BRACE) {
        i++;
        break;
      } else fail(i, "expected a comma or }");
    }
  }
  i = skipSpace(s, i);
  if (i !== s.length) fail(i, "unexpected data after the JSON value");
  return { envelope, spans };
}
