// The inverse of read-payload.ts: a payload's JSON from its typed values and its extra fields,
// for objects that must go back to NDJSON (the shutdown deadline saves what was not uploaded).
// Extra fields keep their exact bytes; a typed value is written as its type reads it back (a
// bigint's digits, a timestamp as epoch milliseconds, a date as YYYY-MM-DD). A nested object that
// a dotted column reads into gets its typed fields and its extra ones together again.

import type { Column, ColumnType } from "../columns.ts";
import { OPEN_BRACE } from "../json/json-bytes.ts";
import { skipSpace } from "../json/json-syntax.ts";
import { eachMember } from "../json/members.ts";
import { valueText } from "../json/top-level-field.ts";
import type { Value } from "./read-payload.ts";

const MS_PER_DAY = 86_400_000;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** A value's JSON as its column's type reads it back. */
function valueJson(type: ColumnType, value: Exclude<Value, null>): string {
  if (type === "json") return value as string;
  if (type === "date") return JSON.stringify(new Date((value as number) * MS_PER_DAY).toISOString().slice(0, 10));
  if (typeof value === "bigint") return value.toString();
  return JSON.stringify(value);
}

/** Typed members by key: a value's JSON, or the members of a nested object. */
type Members = Map<string, string | Members>;

/** An object's members, in order: each key's JSON as sent, its decoded name, and its value's JSON. */
function membersOf(s: Uint8Array, start: number): { key: string; name: string; value: string; isObject: boolean; at: number }[] {
  const out: { key: string; name: string; value: string; isObject: boolean; at: number }[] = [];
  eachMember(s, start, (keyStart, keyEnd, valueStart, valueEnd) => {
    out.push({
      key: utf8.decode(s.subarray(keyStart, keyEnd)),
      name: valueText(s, keyStart, keyEnd) as string,
      value: utf8.decode(s.subarray(valueStart, valueEnd)),
      isObject: s[valueStart] === OPEN_BRACE,
      at: valueStart,
    });
  });
  return out;
}

/** An object of `typed` members and those of the extra object at `at` of `s` (if any), merged where both have the same nested object. */
function merge(typed: Members, s: Uint8Array | null, at: number): string {
  const parts: string[] = [];
  const done = new Set<string>();
  for (const m of s ? membersOf(s, at) : []) {
    const mine = typed.get(m.name);
    if (mine instanceof Map && m.isObject && s && !done.has(m.name)) {
      parts.push(`${m.key}:${merge(mine, s, m.at)}`);
      done.add(m.name);
    } else parts.push(`${m.key}:${m.value}`);
  }
  for (const [name, value] of typed) {
    if (done.has(name)) continue;
    parts.push(`${JSON.stringify(name)}:${value instanceof Map ? merge(value, null, 0) : value}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * @example
 * payloadText(parseColumns("counters.cpu_ms:bigint"), [7n], '{"counters":{"mem":1},"a":2}');
 * // '{"counters":{"mem":1,"cpu_ms":7},"a":2}'
 */
export function payloadText(columns: readonly Column[], values: readonly Value[], extra: string | null): string {
  const typed: Members = new Map();
  columns.forEach((column, i) => {
    const value = values[i];
    if (value === null || value === undefined) return;
    let level = typed;
    for (const key of column.path.slice(0, -1)) {
      const next = level.get(key);
      const inner = next instanceof Map ? next : new Map<string, string | Members>();
      level.set(key, inner);
      level = inner;
    }
    level.set(column.path.at(-1) as string, valueJson(column.type, value));
  });
  if (extra === null) return merge(typed, null, 0);
  const bytes = encoder.encode(extra);
  const start = skipSpace(bytes, 0);
  if (bytes[start] !== OPEN_BRACE) return extra; // a payload that was no object: it had no typed values
  return merge(typed, bytes, start);
}
