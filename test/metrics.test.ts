import { describe, expect, it } from "bun:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createMetrics, escapeLabel, Gauge, GaugeFamily, renderMetrics } from "../src/metrics.ts";

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

  it("escapes backslashes, double quotes and newlines in label values, and a real parser reads them back", () => {
    const hostile = 'a\\b"c\nd';
    expect(escapeLabel(hostile)).toBe('a\\\\b\\"c\\nd');
    const text = renderMetrics(createMetrics(), [new Gauge("s3_ingest_z", "Z.", () => 1, { labels: { version: hostile } })]);
    const [family] = parsePrometheusTextFormat(text).filter((f) => f.name === "s3_ingest_z");
    expect(family!.metrics[0]!.labels).toEqual({ version: hostile });
  });

  it("renders text that a real Prometheus text parser reads whole: every family, type and series", () => {
    const metrics = createMetrics();
    metrics.requests.inc(200);
    metrics.uploadErrors.inc(1, { error_type: "throttled" });
    metrics.httpLoopLag.observe(0.003);
    const text = renderMetrics(metrics, [new Gauge("process_cpu_seconds_total", "CPU.", () => 1.5, { type: "counter" })]);
    const families = parsePrometheusTextFormat(text);
    const names = text.split("\n").flatMap((l) => (l.startsWith("# TYPE ") ? [l.split(" ")[2]!] : []));
    expect(families.map((f) => f.name)).toEqual(names);
    const byName = Object.fromEntries(families.map((f) => [f.name, f]));
    expect(byName.process_cpu_seconds_total).toMatchObject({ type: "COUNTER", metrics: [{ value: "1.5" }] });
    expect(byName.s3_ingest_http_event_loop_lag_seconds).toMatchObject({ type: "HISTOGRAM", metrics: [{ count: "1", buckets: { "0.005": "1" } }] });
  });
});
