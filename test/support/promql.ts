// What the deploy kit's queries may name: the metric names the service exports (histograms with
// their _bucket, _sum and _count series), read from a real /metrics rendering; and the metrics a
// PromQL query selects, from Prometheus's own grammar (@prometheus-io/lezer-promql).
import { parser } from "@prometheus-io/lezer-promql";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createBuffer } from "../../src/buffer/create-buffer.ts";
import { loadConfig } from "../../src/config.ts";
import { serviceGauges } from "../../src/http/gauges.ts";
import { createLogger } from "../../src/log.ts";
import { createMetrics, renderMetrics } from "../../src/metrics.ts";
import { SharedState } from "../../src/shared/state.ts";
import { tempDir } from "./temp-dir.ts";

/** Every metric name in the service's /metrics text. */
export function exportedMetrics(): Set<string> {
  using spool = tempDir("promql-metrics-");
  const config = loadConfig({ SPOOL_DIR: spool.path });
  const buffer = createBuffer(
    config,
    createLogger("error", () => {}),
    () => {},
  );
  const text = renderMetrics(createMetrics(), serviceGauges(buffer.memory, new SharedState(), 50));
  return new Set(
    parsePrometheusTextFormat(text).flatMap((f) => (f.type === "HISTOGRAM" ? ["_bucket", "_sum", "_count"].map((s) => f.name + s) : [f.name])),
  );
}

/** The metric names `query` selects; throws if it does not parse as PromQL. */
export function selectedMetrics(query: string): string[] {
  const named: string[] = [];
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) throw new Error(`not PromQL at ${node.from}: ${query}`);
      if (node.name === "VectorSelector") named.push(query.slice(node.from, node.to).match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/)![0]);
    },
  });
  return named;
}
