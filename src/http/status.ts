// GET /status: a live page for the people who run the service, and GET /status.json, what it
// draws. The page is one self-contained document (uPlot and its script inlined, nothing from a
// CDN), built once at start from text the compiled binary embeds. The JSON holds the words (ready
// or draining, the store's health, version, uptime, the redacted config), the counters' totals
// read now (the same words /metrics reads), and the per-second history the upload side samples.
import { Elysia } from "elysia";
import uPlotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uPlotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import { type BufferSeries, bufferTotals } from "../buffer/gauges.ts";
import type { Config } from "../config.ts";
import { redactedConfig } from "../config-text.ts";
import type { Metrics } from "../metrics.ts";
import { runtimeName } from "../runtime.ts";
import type { SampleRing } from "../shared/sample-ring.ts";
import type { SharedState } from "../shared/state.ts";
import type { StoreHealth } from "../shared/store-health.ts";
import { peakRss, requestsByClass, type SampleField } from "../status/sampler.ts";
import { STORE_ERROR_TYPES } from "../store/store.ts";
import { BUILD, VERSION } from "../version.ts";
import { serviceState } from "./health.ts";
import pageJs from "./status-page/page.js" with { type: "text" };
import type { ServiceFacts } from "./worker.ts";

export interface StatusDeps {
  config: Config;
  state: SharedState;
  health: StoreHealth;
  metrics: Metrics;
  buffer: () => BufferSeries[];
  history: SampleRing<SampleField>;
  about: ServiceFacts;
}

export function statusJson({ config, state, health, metrics, buffer, history, about }: StatusDeps, after = 0) {
  const lastError = health.lastError;
  const held = bufferTotals(buffer());
  return {
    time: Date.now(),
    state: serviceState(state, health),
    store: {
      location: about.store,
      healthy: health.healthy,
      last_error: lastError && { type: STORE_ERROR_TYPES[lastError.type] ?? "unknown", at: lastError.at },
    },
    version: VERSION,
    build: BUILD,
    runtime: runtimeName,
    uptime_seconds: (Date.now() - state.processStartedAt) / 1000,
    instance_id: about.instanceId,
    config: redactedConfig(config),
    totals: {
      requests: requestsByClass((s) => metrics.requests.get(s)),
      payloads_accepted: metrics.payloadsAccepted.get(),
      payloads_written: metrics.payloadsWritten.get(),
      objects_written: metrics.objectsWritten.get(),
      bytes_written: metrics.bytesWritten.get(),
      upload_errors: STORE_ERROR_TYPES.reduce((n, type) => n + metrics.uploadErrors.get({ error_type: type }), 0),
      buffer_payloads: held.payloads,
      buffer_bytes: held.bytes,
      buffer_capacity_bytes: held.capacityBytes,
      rss_bytes: process.memoryUsage().rss,
      peak_rss_bytes: peakRss(),
    },
    history: history.read(after),
  };
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>s3-ingest status</title>
<link rel="icon" href="data:,">
<style>${uPlotCss}
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; background: #fafafa; }
header { display: flex; align-items: center; gap: 12px; }
h1 { font-size: 20px; margin: 0; }
.badge { padding: 2px 10px; border-radius: 10px; color: #fff; font-weight: 600; background: #777; }
.badge.ready { background: #2e7d32; } .badge.draining { background: #ef6c00; }
.badge.store_failing, .badge.unreachable { background: #c62828; }
.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 12px; margin: 12px 0; }
.facts dt { color: #666; } .facts dd { margin: 0; font-variant-numeric: tabular-nums; }
#charts { display: flex; flex-wrap: wrap; gap: 8px; }
.chart { background: #fff; border: 1px solid #ddd; padding: 4px; }
small { color: #666; }
</style>
</head>
<body>
<header><h1>s3-ingest</h1><span id="state" class="badge">loading</span><small>updated <span id="updated">-</span></small></header>
<dl class="facts">
<dt>store</dt><dd data-fact="store"></dd><dt>last store error</dt><dd data-fact="last_error"></dd>
<dt>version</dt><dd data-fact="version"></dd><dt>runtime</dt><dd data-fact="runtime"></dd>
<dt>uptime</dt><dd data-fact="uptime"></dd><dt>instance id</dt><dd data-fact="instance_id"></dd>
<dt>payloads accepted</dt><dd data-total="payloads_accepted"></dd><dt>payloads written</dt><dd data-total="payloads_written"></dd>
<dt>objects written</dt><dd data-total="objects_written"></dd><dt>bytes written</dt><dd data-total="bytes_written"></dd>
<dt>buffered payloads</dt><dd data-total="buffer_payloads"></dd><dt>buffer</dt><dd id="buffer"></dd>
<dt>upload errors</dt><dd data-total="upload_errors"></dd><dt>memory</dt><dd id="rss"></dd>
<dt>responses 2xx</dt><dd data-total="requests_2xx"></dd><dt>responses 4xx</dt><dd data-total="requests_4xx"></dd>
<dt>responses 429</dt><dd data-total="requests_429"></dd><dt>responses 503</dt><dd data-total="requests_503"></dd>
<dt>responses 5xx</dt><dd data-total="requests_5xx"></dd><dt></dt><dd></dd>
</dl>
<div id="charts"></div>
<details><summary>Effective configuration (token lists redacted)</summary><pre id="config"></pre></details>
<script>${uPlotJs}</script>
<script>${pageJs}</script>
</body>
</html>
`;

export function statusRoutes(deps: StatusDeps) {
  return new Elysia({ name: "status" })
    .get("/status", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } }))
    .get("/status.json", ({ query }) => {
      // `after`: how many rows of the history the page has; anything else asks for all of it.
      const after = Number(query.after ?? 0);
      const rows = Number.isSafeInteger(after) && after > 0 ? after : 0;
      return Response.json(statusJson(deps, rows), { headers: { "cache-control": "no-store" } });
    });
}
