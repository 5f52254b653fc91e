// Finds the bytes of each element of a collection's top-level `data` array, so payloads are
// stored exactly as sent: JSON.parse would round integers past 2^53, re-serialising would not
// give back the client's digits. Runs only on text JSON.parse has accepted, so it can assume
// well-formed JSON; it is iterative, so no nesting depth can overflow the stack.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

const isSpace = (b: number) => b === SPACE || b === NEWLINE || b === CR || b === 0x09;

function skipSpace(s: Uint8Array, i: number): number {
  while (i < s.length && isSpace(s[i]!)) i++;
  return i;
}

/** Index just past the string that opens at `i`. */
function skipString(s: Uint8Array, i: number): number {
  for (;;) {
    const q = s.indexOf(QUOTE, i + 1);
    if (q < 0) throw new SyntaxError("unterminated string");
    let slashes = 0;
    for (let k = q - 1; s[k] === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    i = q;
  }
}

/** Index just past the value that starts at `i`. */
function skipValue(s: Uint8Array, i: number): number {
  const first = s[i];
  if (first === QUOTE) return skipString(s, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (i < s.length) {
      const b = s[i]!;
      if (b === QUOTE) {
        i = skipString(s, i);
        continue;
      }
      if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --depth === 0) return i + 1;
      i++;
    }
    throw new SyntaxError("unterminated container");
  }
  // number, true, false, null
  while (i < s.length) {
    const b = s[i]!;
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
    i++;
  }
  return i;
}

/** Whether the key string spanning [start, end) (quotes included) means "data". */
function isDataKey(s: Uint8Array, start: number, end: number): boolean {
  if (end - start === 6) {
    return s[start + 1] === 0x64 && s[start + 2] === 0x61 && s[start + 3] === 0x74 && s[start + 4] === 0x61;
  }
  // An escaped spelling such as "d\u0061ta" still names the same key for JSON.parse.
  return s.subarray(start, end).includes(BACKSLASH) && JSON.parse(new TextDecoder().decode(s.subarray(start, end))) === "data";
}

/** One payload per line in NDJSON: line breaks between tokens (never inside strings) become spaces. */
function oneLine(p: Uint8Array): Uint8Array {
  if (!p.includes(NEWLINE) && !p.includes(CR)) return p;
  const copy = p.slice();
  for (let i = 0; i < copy.length; i++) if (copy[i] === NEWLINE || copy[i] === CR) copy[i] = SPACE;
  return copy;
}

/**
 * The raw bytes of each element of the `data` member of the top-level object in `s`
 * (the last one, as JSON.parse keeps the last of duplicate keys). Views into `s`, not copies.
 */
export function payloadSlices(s: Uint8Array): Uint8Array[] {
  let i = s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  i = skipSpace(s, i);
  if (s[i] !== OPEN_BRACE) throw new SyntaxError("top level is not an object");
  let found: Uint8Array[] | null = null;
  i = skipSpace(s, i + 1);
  while (s[i] !== CLOSE_BRACE) {
    const keyEnd = skipString(s, i);
    const isData = isDataKey(s, i, keyEnd);
    i = skipSpace(s, skipSpace(s, keyEnd) + 1); // past the colon
    if (isData && s[i] === OPEN_BRACKET) {
      found = [];
      i = skipSpace(s, i + 1);
      while (s[i] !== CLOSE_BRACKET) {
        const end = skipValue(s, i);
        found.push(oneLine(s.subarray(i, end)));
        i = skipSpace(s, end);
        if (s[i] === COMMA) i = skipSpace(s, i + 1);
      }
      i++;
    } else {
      i = skipValue(s, i);
    }
    i = skipSpace(s, i);
    if (s[i] === COMMA) i = skipSpace(s, i + 1);
    if (i >= s.length) throw new SyntaxError("unterminated object");
  }
  if (found === null) throw new SyntaxError("no data array");
  return found;
}
