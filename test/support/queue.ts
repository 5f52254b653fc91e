// Pushes payloads given one by one into a RingBuffer (a set's first ring), as the ingest handler does with a body's spans.
import type { RingBuffer } from "../../src/queue/ring-buffer.ts";
import type { RingSet } from "../../src/queue/ring-set.ts";

export function pushAll(into: RingBuffer | RingSet, payloads: readonly (string | Uint8Array)[]): boolean {
  const queue = "rings" in into ? into.rings[0]! : into;
  const bytes = payloads.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : p));
  const source = new Uint8Array(bytes.reduce((n, p) => n + p.length, 0));
  const spans: number[] = [];
  let at = 0;
  for (const p of bytes) {
    source.set(p, at);
    spans.push(at, at + p.length);
    at += p.length;
  }
  return queue.tryPush(source, spans);
}

/** A JSON array of `payloads` as the HTTP thread holds a collection's data: its bytes, and each payload's [start, end) span. */
export function arrayBody(payloads: readonly string[]): { body: Uint8Array; spans: number[] } {
  const body = new TextEncoder().encode(`[${payloads.join(",")}]`);
  const spans: number[] = [];
  let at = 1;
  for (const p of payloads) {
    spans.push(at, at + p.length);
    at += p.length + 1;
  }
  return { body, spans };
}
