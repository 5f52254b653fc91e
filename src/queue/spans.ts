// Payload spans: where a collection's payloads sit in its body, as [start0, end0, start1, end1,
// ...] byte offsets (the scanner finds them, the ring copies them out).

/** Bytes the payloads at `spans` take as NDJSON: each one followed by a newline. */
export function ndjsonBytes(spans: readonly number[]): number {
  let bytes = spans.length / 2;
  for (let i = 0; i < spans.length; i += 2) bytes += spans[i + 1]! - spans[i]!;
  return bytes;
}
