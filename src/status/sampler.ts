// The status page's history: once a second the upload side reads the counters and gauges both
// threads share and pushes one row of rates and levels into a fixed ring (five minutes). It runs
// on the main thread, whose timers keep their pace however many sockets the HTTP thread holds,
// so the history has no gaps when it matters most; the HTTP thread only reads the ring.
import { type BufferSeries, bufferTotals, uploadStalledMs } from "../buffer/gauges.ts";
import { histogramQuantile, type Metrics } from "../metrics.ts";
import { SampleRing } from "../shared/sample-ring.ts";
import type { SharedState } from "../shared/state.ts";

export const SAMPLE_FIELDS = [
  "time", // unix seconds
  "requests_2xx", // per second, by status class: 429 and 503 apart from the rest of theirs
  "requests_4xx",
  "requests_429",
  "requests_503",
  "requests_5xx",
  "payloads_accepted", // per second
  "payloads_written",
  "buffer_bytes",
  "buffer_capacity_bytes",
  "buffer_payloads",
  "upload_p50_seconds", // over the last UPLOAD_WINDOW samples; NaN with no upload in them
  "upload_p99_seconds",
  "objects_written", // per second
  "bytes_written",
  "http_loop_delay_seconds",
  "upload_stalled_seconds",
  "rss_bytes",
  "peak_rss_bytes",
] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];

/** Five minutes of one-second samples. */
export const SAMPLE_CAPACITY = 301;
export const SAMPLE_INTERVAL_MS = 1_000;
/** Upload latency quantiles are taken over this many seconds, so a second without uploads is not a gap. */
const UPLOAD_WINDOW = 10;

export const newSampleRing = (memory?: SharedArrayBuffer) => new SampleRing(SAMPLE_FIELDS, SAMPLE_CAPACITY, memory);

/** Requests counted by status, summed by the classes the page shows. */
export function requestsByClass(count: (status: number) => number) {
  const byClass = { "2xx": 0, "4xx": 0, "429": 0, "503": 0, "5xx": 0 };
  for (let status = 100; status < 600; status++) {
    const n = count(status);
    if (n === 0) continue;
    if (status === 429 || status === 503) byClass[status] += n;
    else if (status >= 500) byClass["5xx"] += n;
    else if (status >= 400) byClass["4xx"] += n;
    else if (status >= 200 && status < 300) byClass["2xx"] += n;
  }
  return byClass;
}

/** Peak resident memory of the process so far (getrusage's maxrss), in bytes. */
export const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

export interface SamplerDeps {
  metrics: Metrics;
  state: SharedState;
  buffer: () => BufferSeries[];
  ring: SampleRing<SampleField>;
  now?: () => number;
  rss?: () => number;
  peakRss?: () => number;
}

/**
 * @example
 * const sampler = createSampler({ metrics, state, buffer: bufferView(memory), ring });
 * const stop = sampler.start(); // one row a second, until stop()
 */
export function createSampler({
  metrics,
  state,
  buffer,
  ring,
  now = Date.now,
  rss = () => process.memoryUsage().rss,
  peakRss: peak = peakRss,
}: SamplerDeps) {
  const totals = () => ({
    at: now(),
    requests: requestsByClass((s) => metrics.requests.get(s)),
    accepted: metrics.payloadsAccepted.get(),
    written: metrics.payloadsWritten.get(),
    objects: metrics.objectsWritten.get(),
    bytes: metrics.bytesWritten.get(),
    uploads: metrics.uploadSeconds.counts(),
  });
  let last = totals();
  /** Upload histogram counts at each of the last UPLOAD_WINDOW samples, oldest first. */
  const uploadCounts: number[][] = [last.uploads];

  /** Takes one sample: rates since the one before, levels now. */
  function sample(): void {
    const t = totals();
    const seconds = Math.max(1, t.at - last.at) / 1000;
    const rate = (a: number, b: number) => (a - b) / seconds;
    uploadCounts.push(t.uploads);
    if (uploadCounts.length > UPLOAD_WINDOW + 1) uploadCounts.shift();
    const window = t.uploads.map((c, i) => c - uploadCounts[0]![i]!);
    const series = buffer();
    const held = bufferTotals(series);
    ring.push({
      time: t.at / 1000,
      requests_2xx: rate(t.requests["2xx"], last.requests["2xx"]),
      requests_4xx: rate(t.requests["4xx"], last.requests["4xx"]),
      requests_429: rate(t.requests["429"], last.requests["429"]),
      requests_503: rate(t.requests["503"], last.requests["503"]),
      requests_5xx: rate(t.requests["5xx"], last.requests["5xx"]),
      payloads_accepted: rate(t.accepted, last.accepted),
      payloads_written: rate(t.written, last.written),
      buffer_bytes: held.bytes,
      buffer_capacity_bytes: held.capacityBytes,
      buffer_payloads: held.payloads,
      upload_p50_seconds: histogramQuantile(metrics.uploadSeconds.buckets, window, 0.5),
      upload_p99_seconds: histogramQuantile(metrics.uploadSeconds.buckets, window, 0.99),
      objects_written: rate(t.objects, last.objects),
      bytes_written: rate(t.bytes, last.bytes),
      http_loop_delay_seconds: state.httpLoopDelayMs(t.at) / 1000,
      upload_stalled_seconds: uploadStalledMs(series, state, t.at) / 1000,
      rss_bytes: rss(),
      peak_rss_bytes: peak(),
    });
    last = t;
  }

  return {
    sample,
    start(): () => void {
      const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
      timer.unref?.();
      return () => clearInterval(timer);
    },
  };
}
