// An object's members walked by their bytes: where each key and each value lies, in order, with
// the scanner's own steps (json-syntax.ts). For payloads validated when they were posted; bytes
// that are not an object's members throw SyntaxError.
import { CLOSE_BRACE, COLON, COMMA } from "./json-bytes.ts";
import { skipSpace, skipString, skipValue } from "./json-syntax.ts";

/**
 * Calls `visit` with the spans of each member of the object whose `{` is at `i`: the key's,
 * quotes included, and the value's. Returns the index just past the object's `}`.
 *
 * @example
 * eachMember(bytes, 0, (keyStart, keyEnd, valueStart, valueEnd) => {}); // {"a":1}: 1, 4, 5, 6
 */
export function eachMember(
  s: Uint8Array,
  i: number,
  visit: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void,
): number {
  i = skipSpace(s, i + 1);
  if (s[i] === CLOSE_BRACE) return i + 1;
  for (;;) {
    const keyStart = i;
    i = skipString(s, i);
    const keyEnd = i;
    i = skipSpace(s, i);
    if (s[i] !== COLON) throw new SyntaxError(`expected a colon at byte ${i}`);
    const valueStart = skipSpace(s, i + 1);
    const valueEnd = skipValue(s, valueStart, false);
    visit(keyStart, keyEnd, valueStart, valueEnd);
    i = skipSpace(s, valueEnd);
    if (s[i] !== COMMA) {
      if (s[i] !== CLOSE_BRACE) throw new SyntaxError(`expected a comma or } at byte ${i}`);
      return i + 1;
    }
    i = skipSpace(s, i + 1);
  }
}
