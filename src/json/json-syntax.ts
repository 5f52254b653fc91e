// Validates JSON values byte by byte, exactly as strictly as `JSON.parse` after a fatal UTF-8
// decode, and says where each one ends: the scanner (scan-collection.ts) walks a collection with
// these and never builds the payloads. Iterative, with an explicit stack: no nesting depth can
// overflow a call stack.
import {
  AFTER_E0_MIN,
  AFTER_ED_MAX,
  AFTER_F0_MIN,
  AFTER_F4_MAX,
  ASCII_END,
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  CONTINUATION_MAX,
  CONTINUATION_MIN,
  CR,
  DOT,
  LEAD_2_MAX,
  LEAD_2_MIN,
  LEAD_3_MAX,
  LEAD_3_MIN,
  LEAD_3_SURROGATES,
  LEAD_4_MAX,
  LEAD_4_MIN,
  LOWER_A,
  LOWER_B,
  LOWER_E,
  LOWER_F,
  LOWER_N,
  LOWER_R,
  LOWER_T,
  LOWER_U,
  MINUS,
  NEWLINE,
  NINE,
  OPEN_BRACE,
  OPEN_BRACKET,
  PLUS,
  QUOTE,
  SLASH,
  SPACE,
  TAB,
  UPPER_A,
  UPPER_E,
  UPPER_F,
  ZERO,
} from "./json-bytes.ts";

/** Bytes a string's inner loop must stop at: the quote, a backslash, control bytes, non-ASCII. */
const STOPS_STRING = new Uint8Array(256);
for (let b = 0; b < 256; b++) STOPS_STRING[b] = b === QUOTE || b === BACKSLASH || b < SPACE || b >= ASCII_END ? 1 : 0;

/** The characters that may follow a backslash, \u aside. */
const SIMPLE_ESCAPES = new Uint8Array(256);
for (const b of [QUOTE, BACKSLASH, SLASH, LOWER_B, LOWER_F, LOWER_N, LOWER_R, LOWER_T]) SIMPLE_ESCAPES[b] = 1;

export const fail = (at: number, what: string): never => {
  throw new SyntaxError(`${what} at byte ${at}`);
};
const isDigit = (b: number) => b >= ZERO && b <= NINE;
const isHex = (b: number) => isDigit(b) || (b >= UPPER_A && b <= UPPER_F) || (b >= LOWER_A && b <= LOWER_F);

/**
 * Index of the first byte at or after `i` that is not whitespace. With `oneLine`, line breaks
 * passed on the way become spaces in `s`, so that what holds them fits on one NDJSON line.
 */
export function skipSpace(s: Uint8Array, i: number, oneLine = false): number {
  let b = s[i];
  while (b === SPACE || b === NEWLINE || b === CR || b === TAB) {
    if (oneLine && (b === NEWLINE || b === CR)) s[i] = SPACE;
    b = s[++i];
  }
  return i;
}

/** Validates one UTF-8 sequence starting at `i` (a byte past ASCII); returns the index after it. */
function skipUtf8(s: Uint8Array, i: number): number {
  const b = s[i]!;
  let need: number;
  let min = CONTINUATION_MIN;
  let max = CONTINUATION_MAX;
  if (b >= LEAD_2_MIN && b <= LEAD_2_MAX) {
    need = 1;
  } else if (b >= LEAD_3_MIN && b <= LEAD_3_MAX) {
    need = 2;
    if (b === LEAD_3_MIN) min = AFTER_E0_MIN; // no overlong forms
    if (b === LEAD_3_SURROGATES) max = AFTER_ED_MAX; // no UTF-16 surrogates
  } else if (b >= LEAD_4_MIN && b <= LEAD_4_MAX) {
    need = 3;
    if (b === LEAD_4_MIN) min = AFTER_F0_MIN;
    if (b === LEAD_4_MAX) max = AFTER_F4_MAX; // nothing past U+10FFFF
  } else {
    return fail(i, "invalid UTF-8");
  }
  const second = s[i + 1];
  if (second === undefined || second < min || second > max) fail(i, "invalid UTF-8");
  for (let k = 2; k <= need; k++) {
    const c = s[i + k];
    if (c === undefined || c < CONTINUATION_MIN || c > CONTINUATION_MAX) fail(i, "invalid UTF-8");
  }
  return i + need + 1;
}

/** Index just past the string opening at `i`; validates escapes, control bytes and UTF-8. */
export function skipString(s: Uint8Array, i: number): number {
  const n = s.length;
  i++;
  for (;;) {
    while (i < n && STOPS_STRING[s[i]!] === 0) i++; // the common case: plain ASCII
    if (i >= n) return fail(i, "unterminated string");
    const b = s[i]!;
    if (b === QUOTE) return i + 1;
    if (b === BACKSLASH) {
      const e = s[i + 1]!;
      if (e === LOWER_U) {
        if (!(isHex(s[i + 2]!) && isHex(s[i + 3]!) && isHex(s[i + 4]!) && isHex(s[i + 5]!))) fail(i, "bad \\u escape");
        i += 6;
      } else if (SIMPLE_ESCAPES[e] === 1) {
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
  if (s[i] === LOWER_E || s[i] === UPPER_E) {
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
  if (b === LOWER_T) return skipLiteral(s, i, "true");
  if (b === LOWER_F) return skipLiteral(s, i, "false");
  if (b === LOWER_N) return skipLiteral(s, i, "null");
  return fail(i, b === undefined ? "unexpected end" : "unexpected token");
}

/**
 * Index just past the value starting at `i`, validating all of it. Containers are walked with an
 * explicit stack. With `oneLine`, line breaks between its tokens become spaces in `s`.
 */
export function skipValue(s: Uint8Array, i: number, oneLine: boolean): number {
  const first = s[i];
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return skipScalar(s, i);
  const stack: number[] = [];
  // expectKey: inside an object, before a key (or the closing brace when `empty`)
  let expectKey = false;
  let empty = false;
  for (;;) {
    // at a value position (or a key position in an object); whitespace bytes are all <= SPACE
    let b = s[i]!;
    if (b <= SPACE) {
      i = skipSpace(s, i, oneLine);
      b = s[i]!;
    }
    if (expectKey) {
      if (b === CLOSE_BRACE && empty) {
        i++;
        stack.pop();
      } else {
        if (b !== QUOTE) return fail(i, "expected a key");
        i = skipString(s, i);
        if (s[i]! <= SPACE) i = skipSpace(s, i, oneLine);
        if (s[i] !== COLON) return fail(i, "expected a colon");
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
      if (s[i]! <= SPACE) i = skipSpace(s, i, oneLine);
      if (s[i] === CLOSE_BRACKET) {
        i++;
        stack.pop();
      } else continue;
    } else {
      i = skipScalar(s, i);
    }
    // after a value: a comma, or the end of one or more containers
    for (;;) {
      if (stack.length === 0) return i;
      b = s[i]!;
      if (b <= SPACE) {
        i = skipSpace(s, i, oneLine);
        b = s[i]!;
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
