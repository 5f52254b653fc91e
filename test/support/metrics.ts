// Reading a running service's /metrics as Prometheus would: parsed by a text-format parser, not by regexes.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

interface Family {
  name: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

/** Every sample of `name` at `baseUrl`/metrics, by its label `label` ("" for an unlabelled one). */
export async function samples(baseUrl: string, name: string, label: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const family = (parsePrometheusTextFormat(text) as Family[]).find((f) => f.name === name);
  return new Map((family?.metrics ?? []).map((m) => [m.labels?.[label] ?? "", Number(m.value)]));
}

/** Requests each of `threads` HTTP threads has answered (s3_ingest_http_thread_requests_total), thread 0 first. */
export async function requestsPerThread(baseUrl: string, threads: number): Promise<number[]> {
  const byThread = await samples(baseUrl, "s3_ingest_http_thread_requests_total", "thread");
  return Array.from({ length: threads }, (_, t) => byThread.get(String(t)) ?? 0);
}
