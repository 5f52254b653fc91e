import { describe, expect, it } from "bun:test";
import type { BufferSeries } from "../../src/buffer/gauges.ts";
import { createMetrics, histogramQuantile } from "../../src/metrics.ts";
import { SharedState } from "../../src/shared/state.ts";
import { createSampler, newSampleRing, requestsByClass } from "../../src/status/sampler.ts";

function setup() {
  const metrics = createMetrics();
  const state = new SharedState();
  const ring = newSampleRing();
  let now = 1_000_000;
  let series: BufferSeries[] = [{ type: "memory", payloads: 0, bytes: 0, capacityBytes: 1_000, capacityPayloads: 100 }];
  const sampler = createSampler({ metrics, state, ring, buffer: () => series, now: () => now, rss: () => 5_000, peakRss: () => 9_000 });
  const last = () => {
    const { columns } = ring.read();
    return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v.at(-1)])) as Record<string, number>;
  };
  return { metrics, state, ring, sampler, last, advance: (ms: number) => (now += ms), setBuffer: (s: BufferSeries[]) => (series = s) };
}

describe("the status sampler", () => {
  it("turns counters into rates per second over the time that really passed", () => {
    const t = setup();
    for (let i = 0; i < 30; i++) t.metrics.requests.inc(200);
    for (let i = 0; i < 4; i++) t.metrics.requests.inc(429);
    t.metrics.requests.inc(400);
    t.metrics.requests.inc(503);
    t.metrics.requests.inc(500);
    t.metrics.payloadsAccepted.inc(300);
    t.metrics.payloadsWritten.inc(100);
    t.metrics.objectsWritten.inc(2);
    t.metrics.bytesWritten.inc(4_096);
    t.advance(2_000); // a late tick: rates are per second all the same
    t.sampler.sample();
    expect(t.last()).toMatchObject({
      time: 1_002,
      requests_2xx: 15,
      requests_429: 2,
      requests_4xx: 0.5,
      requests_503: 0.5,
      requests_5xx: 0.5,
      payloads_accepted: 150,
      payloads_written: 50,
      objects_written: 1,
      bytes_written: 2_048,
      rss_bytes: 5_000,
      peak_rss_bytes: 9_000,
    });
    t.advance(1_000);
    t.sampler.sample();
    expect(t.last()).toMatchObject({ requests_2xx: 0, payloads_accepted: 0 });
  });

  it("records the buffer's fill, the HTTP thread's delay and the upload side's stall", () => {
    const t = setup();
    t.state.httpTicked(0, 1_000_000 - 50 - 700); // its timer last ran 750 ms ago: 700 ms late
    t.state.uploadProgressAt = 1_000_000 - 4_000;
    t.setBuffer([
      { type: "memory", payloads: 7, bytes: 250, capacityBytes: 1_000, capacityPayloads: 100 },
      { type: "disk", payloads: 3, bytes: 50, capacityBytes: 4_000, segments: 1, sealed: 1 },
    ]);
    t.advance(0);
    t.sampler.sample();
    expect(t.last()).toMatchObject({
      buffer_payloads: 10,
      buffer_bytes: 300,
      buffer_capacity_bytes: 5_000,
      http_loop_delay_seconds: 0.7,
      upload_stalled_seconds: 4,
    });
  });

  it("takes upload latency quantiles over the last ten samples, NaN when none was uploaded", () => {
    const t = setup();
    t.advance(1_000);
    t.sampler.sample();
    expect(t.last().upload_p50_seconds).toBeNaN();
    for (let i = 0; i < 99; i++) t.metrics.uploadSeconds.observe(0.02);
    t.metrics.uploadSeconds.observe(4);
    t.advance(1_000);
    t.sampler.sample();
    expect(t.last().upload_p50_seconds).toBeCloseTo(0.01 + 0.015 * (50 / 99), 6); // in (0.01, 0.025]
    expect(t.last().upload_p99_seconds).toBeCloseTo(0.025, 6);
    for (let i = 0; i < 9; i++) {
      t.advance(1_000);
      t.sampler.sample();
    }
    expect(t.last().upload_p99_seconds).toBeCloseTo(0.025, 6); // still in the window
    t.advance(1_000);
    t.sampler.sample();
    expect(t.last().upload_p50_seconds).toBeNaN(); // out of it
  });
});

describe("histogramQuantile", () => {
  const buckets = [0.1, 0.5, 1];
  it("interpolates within the bucket the rank falls in, as Prometheus's histogram_quantile", () => {
    expect(histogramQuantile(buckets, [10, 30, 40, 40], 0.5)).toBeCloseTo(0.1 + 0.4 * (10 / 20), 9);
    expect(histogramQuantile(buckets, [10, 30, 40, 40], 0.1)).toBeCloseTo(0.04, 9);
  });
  it("gives the highest bound for a rank past it, and NaN with no observation", () => {
    expect(histogramQuantile(buckets, [0, 0, 1, 10], 0.99)).toBe(1);
    expect(histogramQuantile(buckets, [0, 0, 0, 0], 0.5)).toBeNaN();
  });
});

describe("requestsByClass", () => {
  it("keeps 429 and 503 apart from the rest of their class", () => {
    const counts: Record<number, number> = { 200: 5, 204: 1, 301: 9, 400: 2, 413: 1, 429: 3, 500: 1, 503: 4 };
    expect(requestsByClass((s) => counts[s] ?? 0)).toEqual({ "2xx": 6, "4xx": 3, "429": 3, "503": 4, "5xx": 1 });
  });
});
