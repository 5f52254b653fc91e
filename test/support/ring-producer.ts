// A Worker that pushes collections into a shared RingBuffer, as the HTTP thread does, so tests can
// check the ring across two threads: it is sent the ring's memory and a count, and pushes
// collections of three payloads `{"n":<i>}`, i counting from `from` (default 0), retrying while
// the ring is full, then says "done".
import { RingBuffer, type RingMemory } from "../../src/queue/ring-buffer.ts";
import { arrayBody } from "./queue.ts";

declare const self: {
  onmessage: ((e: MessageEvent<{ memory: RingMemory; collections: number; from?: number }>) => void) | null;
  postMessage(m: string): void;
};

self.onmessage = async ({ data: { memory, collections, from = 0 } }) => {
  const ring = RingBuffer.attach(memory);
  let n = from;
  for (let c = 0; c < collections; c++) {
    const parts = [n, n + 1, n + 2].map((i) => `{"n":${i}}`);
    n += 3;
    const { body, spans } = arrayBody(parts);
    while (ring.push(body, spans) === -1) await new Promise((r) => setTimeout(r, 1));
  }
  self.postMessage("done");
};
