import { describe, expect, it } from "bun:test";
import { createMetrics, renderMetrics } from "../../src/metrics.ts";
import { RingBuffer } from "../../src/queue/ring-buffer.ts";
import { SharedState } from "../../src/shared/state.ts";
import { StoreHealth } from "../../src/shared/store-health.ts";

const line = (text: string, name: string) => text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));

describe("metrics in shared memory", () => {
  it("adds up what two threads' views count, and renders it from either", () => {
    const upload = createMetrics();
    const http = createMetrics(upload.memory);
    http.requests.inc(200);
    http.requests.inc(200);
    http.payloadsAccepted.inc(20);
    upload.payloadsWritten.inc(20);
    upload.uploadErrors.inc(1, { error_type: "throttled" });
    upload.uploadErrors.inc(1, { error_type: "not-a-known-type" });
    upload.uploadSeconds.observe(0.0123456);
    expect(upload.requests.get(200)).toBe(2);
    expect(http.payloadsWritten.get()).toBe(20);
    const text = renderMetrics(http, { queue: new RingBuffer(10, 100), state: new SharedState(), config: { DURABILITY: "memory" }, tickMs: 50 });
    expect(text).toContain('s3_ingest_http_requests_total{status="200"} 2');
    expect(text).toContain('s3_ingest_upload_errors_total{error_type="throttled"} 1');
    expect(text).toContain('s3_ingest_upload_errors_total{error_type="other"} 1');
    expect(text).toContain("s3_ingest_upload_duration_seconds_sum 0.012346");
    expect(text).toContain('s3_ingest_upload_duration_seconds_bucket{le="0.025"} 1');
  });

  it("reports the upload side stalled only while payloads wait and nothing is written", () => {
    const metrics = createMetrics();
    const queue = new RingBuffer(10, 100);
    const state = new SharedState();
    let now = 1_000_000;
    const gauges = { queue, state, config: { DURABILITY: "memory" as const }, tickMs: 50, now: () => now };
    state.uploadProgressAt = now;
    now += 60_000;
    expect(line(renderMetrics(metrics, gauges), "s3_ingest_upload_stalled_seconds")).toBe("s3_ingest_upload_stalled_seconds 0"); // nothing waits
    queue.tryPush(new TextEncoder().encode("{}"), [0, 2]);
    expect(line(renderMetrics(metrics, gauges), "s3_ingest_upload_stalled_seconds")).toBe("s3_ingest_upload_stalled_seconds 60");
  });

  it("reports how late the HTTP thread's periodic timer is", () => {
    const state = new SharedState();
    const now = 5_000_000;
    state.httpTickAt = now - 2_050;
    const text = renderMetrics(createMetrics(), {
      queue: new RingBuffer(10, 100),
      state,
      config: { DURABILITY: "memory" },
      tickMs: 50,
      now: () => now,
    });
    expect(line(text, "s3_ingest_http_event_loop_delay_seconds")).toBe("s3_ingest_http_event_loop_delay_seconds 2");
  });
});

describe("StoreHealth in shared memory", () => {
  it("is read on the HTTP thread as the upload side writes it", () => {
    let now = 0;
    const upload = new StoreHealth(1_000, () => now);
    const http = new StoreHealth(1_000, () => now, upload.memory);
    upload.failure(true);
    now = 999;
    expect(http.healthy).toBe(true);
    now = 1_000;
    expect(http.healthy).toBe(false);
    upload.success();
    expect(http.healthy).toBe(true);
    upload.failure(false);
    expect(http.healthy).toBe(false);
  });
});
