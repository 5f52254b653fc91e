// A Worker that takes from a shared rate limiter, as an HTTP thread does, so tests can check the
// limit holds across threads: it is sent the limiter's memory, its rate, a fixed clock reading and
// a count of takes for one key; it answers how many of them were allowed.
import { createRateLimiter } from "../../src/http/rate-limit.ts";

type Job = { memory: SharedArrayBuffer; perSecond: number; at: number; takes: number; start: Int32Array };
declare const self: { onmessage: ((e: MessageEvent<Job>) => void) | null; postMessage(m: number | string): void };

self.onmessage = ({ data: { memory, perSecond, at, takes, start } }) => {
  const limiter = createRateLimiter(perSecond, { memory, now: () => at });
  self.postMessage("ready");
  Atomics.wait(start, 0, 0); // every taker starts at once, so their compare-and-swaps collide
  let allowed = 0;
  for (let i = 0; i < takes; i++) if (limiter.take("shared-token") === 0) allowed++;
  self.postMessage(allowed);
};
