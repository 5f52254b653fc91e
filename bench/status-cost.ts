// The status page's own work, timed in-process (part of `SCENARIOS=status bun run bench`): one
// sample, which the upload side takes once a second, and one status.json, which the HTTP thread
// builds once a second per open page (a full history, and the one new row the page asks for).
import { bufferView } from "../src/buffer/gauges.ts";
import { loadConfig } from "../src/config.ts";
import { createHttpThread } from "../src/http/http-thread.ts";
import { createLogger } from "../src/log.ts";
import { createSampler, newSampleRing, SAMPLE_CAPACITY } from "../src/status/sampler.ts";
import { createUploadSide } from "../src/upload-side.ts";
import { MemoryStore } from "../test/support/memory-store.ts";

const log = createLogger("error");
const config = loadConfig({});
const service = createUploadSide(config, { log, store: new MemoryStore(), instanceId: "bench" });
const http = createHttpThread(config, service.memory, log, { instanceId: "bench", store: "memory" });
const ring = newSampleRing(service.memory.history);
const sampler = createSampler({ metrics: service.metrics, state: service.state, buffer: bufferView(service.buffer.memory), ring });
for (let i = 0; i < 400; i++) service.metrics.requests.inc(200 + (i % 5)); // a few statuses in use

function time(n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(n, 100); i++) fn(); // warm up
  const started = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - started) * 1000) / n;
}

const sampleUs = time(20_000, () => sampler.sample());
const full = async () => (await http.handle(new Request("http://localhost/status.json"))).text();
let started = performance.now();
for (let i = 0; i < 500; i++) await full();
const fullUs = ((performance.now() - started) * 1000) / 500;
const count = ring.count;
started = performance.now();
for (let i = 0; i < 2_000; i++) await (await http.handle(new Request(`http://localhost/status.json?after=${count - 1}`))).text();
const oneUs = ((performance.now() - started) * 1000) / 2_000;
const bytes = (await full()).length;
console.log(`- one sample: ${sampleUs.toFixed(1)} µs of the upload side's thread, once a second (${((sampleUs / 1e6) * 100).toFixed(4)}% of a core)`);
console.log(`- status.json with the whole history (${SAMPLE_CAPACITY - 1} rows, ${(bytes / 1024).toFixed(0)} KiB): ${fullUs.toFixed(0)} µs`);
console.log(`- status.json with the one new row a page asks for each second: ${oneUs.toFixed(0)} µs`);
