import { describe, expect, it } from "bun:test";
import { createMetrics, Gauge, GaugeFamily, renderMetrics } from "../src/metrics.ts";

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
    const text = renderMetrics(http, []);
    expect(text).toContain('s3_ingest_http_requests_total{status="200"} 2');
    expect(text).toContain("s3_ingest_payloads_accepted_total 20");
    expect(text).toContain('s3_ingest_upload_errors_total{error_type="throttled"} 1');
    expect(text).toContain('s3_ingest_upload_errors_total{error_type="other"} 1');
    expect(text).toContain("s3_ingest_upload_duration_seconds_sum 0.012346");
    expect(text).toContain('s3_ingest_upload_duration_seconds_bucket{le="0.01"} 0');
    expect(text).toContain('s3_ingest_upload_duration_seconds_bucket{le="0.025"} 1');
    expect(text).toContain("s3_ingest_upload_duration_seconds_count 1");
  });

  it("renders gauges as read at scrape time, one series per label value in a family", () => {
    let depth = 1;
    const text = renderMetrics(createMetrics(), [
      new Gauge("s3_ingest_x", "X.", () => depth),
      new GaugeFamily("s3_ingest_y", "Y.", "buffer_type", () => [
        ["memory", 3],
        ["disk", 4],
      ]),
    ]);
    expect(text).toContain("# TYPE s3_ingest_x gauge\ns3_ingest_x 1");
    expect(text).toContain('s3_ingest_y{buffer_type="memory"} 3\ns3_ingest_y{buffer_type="disk"} 4');
    depth = 2;
    expect(renderMetrics(createMetrics(), [new Gauge("s3_ingest_x", "X.", () => depth)])).toContain("s3_ingest_x 2");
  });
});
