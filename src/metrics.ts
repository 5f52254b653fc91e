// Prometheus metrics kept as plain numbers and rendered as text on scrape. Names follow
// `s3_ingest_<name>_<unit>[_total]`; labels are low-cardinality (a status, an error type).
type Labels = Record<string, string>;

const labelText = (labels: Labels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(by = 1, labels: Labels = {}): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, v] of this.values) lines.push(`${this.name}${key} ${v}`);
    return lines.join("\n");
  }
}

export class Gauge {
  constructor(readonly name: string, readonly help: string, private readonly read: () => number) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`].join("\n");
  }
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket{le="${le}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines.join("\n");
  }
}

/** Counts responses by status in a flat array: one increment per request, no allocation. */
export class StatusCounter {
  private readonly byStatus = new Float64Array(600);
  constructor(readonly name: string, readonly help: string) {}
  inc(status: number): void {
    if (status >= 100 && status < 600) this.byStatus[status]!++;
  }
  get(status: number): number {
    return this.byStatus[status] ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    this.byStatus.forEach((v, status) => v > 0 && lines.push(`${this.name}{status="${status}"} ${v}`));
    return lines.join("\n");
  }
}

export interface QueueView {
  readonly length: number;
  readonly bytes: number;
  readonly capacity: number;
  readonly capacityBytes: number;
}

export interface SpoolView {
  readonly bytes: number;
  readonly segments: number;
}

export function createMetrics() {
  return {
    requests: new StatusCounter("s3_ingest_http_requests_total", "HTTP responses by status."),
    payloadsAccepted: new Counter("s3_ingest_payloads_accepted_total", "Payloads acknowledged to clients (in the queue)."),
    payloadsWritten: new Counter("s3_ingest_payloads_written_total", "Payloads written to the store."),
    objectsWritten: new Counter("s3_ingest_objects_written_total", "Objects written to the store."),
    bytesWritten: new Counter("s3_ingest_bytes_written_total", "Object bytes written to the store (after compression)."),
    uploadErrors: new Counter("s3_ingest_upload_errors_total", "Failed upload attempts by error type (each is retried)."),
    uploadRetries: new Counter("s3_ingest_upload_retries_total", "Upload attempts that repeat an earlier failed one."),
    uploadSeconds: new Histogram("s3_ingest_upload_duration_seconds", "Time of one successful PUT.", [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** `queue` is null in disk mode, where the spool is the queue. */
export function renderMetrics(metrics: Metrics, queue: QueueView | null, spool: SpoolView | null = null): string {
  const gauges = [
    ...(spool
      ? [
          new Gauge("s3_ingest_spool_bytes", "Bytes of spool segments on disk, not yet uploaded.", () => spool.bytes),
          new Gauge("s3_ingest_spool_segments", "Spool segments on disk, not yet uploaded.", () => spool.segments),
        ]
      : []),
    ...(queue
      ? [
          new Gauge("s3_ingest_queue_payloads", "Payloads waiting in the queue.", () => queue.length),
          new Gauge("s3_ingest_queue_bytes", "Payload bytes waiting in the queue.", () => queue.bytes),
          new Gauge("s3_ingest_queue_capacity_payloads", "MAX_QUEUE.", () => queue.capacity),
          new Gauge("s3_ingest_queue_capacity_bytes", "MAX_QUEUE_BYTES.", () => queue.capacityBytes),
        ]
      : []),
  ];
  return [...Object.values(metrics), ...gauges].map((m) => m.render()).join("\n") + "\n";
}
