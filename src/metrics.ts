// Prometheus metrics, kept in shared memory so that both threads count into them and either can
// render them: the HTTP thread counts requests, the upload side counts objects. Names follow
// `s3_ingest_<name>_<unit>[_total]`; labels are low-cardinality and declared up front (a status,
// an error type), so every series has a fixed slot.
import { MAX_HTTP_THREADS } from "./shared/state.ts";
import { SlotAllocator, Words } from "./shared/words.ts";
import { STORE_ERROR_TYPES } from "./store/store.ts";

const SLOTS = 1024;

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const labelText = (labels: Record<string, string>): string => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
};

/** The text format's two lines before a metric's samples. */
const header = (name: string, help: string, type: string): string[] => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];

/** A metric counted into consecutive words of shared memory, from `first` on. */
abstract class SharedMetric {
  protected readonly first: number;
  constructor(
    protected readonly words: Words,
    slots: SlotAllocator,
    count: number,
    readonly name: string,
    readonly help: string,
  ) {
    this.first = slots.take(count);
  }
}

export class Counter extends SharedMetric {
  constructor(
    words: Words,
    slots: SlotAllocator,
    name: string,
    help: string,
    /** A label and its possible values; anything else counts as "other". */
    private readonly label?: { name: string; values: readonly string[] },
  ) {
    super(words, slots, label ? label.values.length + 1 : 1, name, help);
  }

  private slot(labels: Record<string, string>): number {
    if (!this.label) return this.first;
    const i = this.label.values.indexOf(labels[this.label.name] ?? "");
    return this.first + (i < 0 ? this.label.values.length : i);
  }

  inc(by = 1, labels: Record<string, string> = {}): void {
    this.words.add(this.slot(labels), by);
  }

  get(labels: Record<string, string> = {}): number {
    return this.words.get(this.slot(labels));
  }

  /** Counts under the label's `index`th value: for the request path, without a lookup. */
  incAt(index: number, by = 1): void {
    this.words.add(this.first + (index >= 0 && index < (this.label?.values.length ?? 0) ? index : (this.label?.values.length ?? 0)), by);
  }

  render(): string {
    const lines = header(this.name, this.help, "counter");
    const { label } = this;
    if (!label) lines.push(`${this.name} ${this.words.get(this.first)}`);
    else {
      [...label.values, "other"].forEach((v, i) => {
        const n = this.words.get(this.first + i);
        if (n > 0) lines.push(`${this.name}${labelText({ [label.name]: v })} ${n}`);
      });
    }
    return lines.join("\n");
  }
}

/** A value read when scraped: a gauge, or a counter kept by someone else (the process's CPU time), with fixed labels if any. */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
    private readonly options: { type?: "gauge" | "counter"; labels?: Record<string, string> } = {},
  ) {}
  render(): string {
    const { type = "gauge", labels = {} } = this.options;
    return [...header(this.name, this.help, type), `${this.name}${labelText(labels)} ${this.read()}`].join("\n");
  }
}

/** A gauge counted into shared memory, like a Counter, that goes up and down. */
export class SharedGauge extends Gauge {
  private readonly slot: number;
  constructor(
    private readonly words: Words,
    slots: SlotAllocator,
    name: string,
    help: string,
    slot = slots.take(1),
  ) {
    super(name, help, () => words.get(slot));
    this.slot = slot;
  }
  add(by: number): void {
    this.words.add(this.slot, by);
  }
  get(): number {
    return this.words.get(this.slot);
  }
}

/** Values read when scraped, one series per label value (a buffer type, say). */
export class GaugeFamily {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly label: string,
    private readonly read: () => [string, number][],
  ) {}
  render(): string {
    const lines = header(this.name, this.help, "gauge");
    for (const [value, n] of this.read()) lines.push(`${this.name}${labelText({ [this.label]: value })} ${n}`);
    return lines.join("\n");
  }
}

/** Observations in seconds; the sum is kept in microseconds, so it stays an exact integer. */
export class Histogram extends SharedMetric {
  constructor(
    words: Words,
    slots: SlotAllocator,
    name: string,
    help: string,
    readonly buckets: readonly number[],
  ) {
    super(words, slots, buckets.length + 2, name, help); // buckets, count, sum
  }
  observe(seconds: number): void {
    const { words, first, buckets } = this;
    for (let i = 0; i < buckets.length; i++) if (seconds <= buckets[i]!) words.add(first + i, 1);
    words.add(first + buckets.length, 1);
    words.add(first + buckets.length + 1, Math.round(seconds * 1e6));
  }
  get count(): number {
    return this.words.get(this.first + this.buckets.length);
  }
  /** Cumulative counts: one per bucket, then the count of all (the +Inf bucket). */
  counts(): number[] {
    return Array.from({ length: this.buckets.length + 1 }, (_, i) => this.words.get(this.first + i));
  }
  render(): string {
    const { words, first, buckets, name } = this;
    const lines = header(name, this.help, "histogram");
    buckets.forEach((le, i) => {
      lines.push(`${name}_bucket{le="${le}"} ${words.get(first + i)}`);
    });
    const count = this.count;
    lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${words.get(first + buckets.length + 1) / 1e6}`, `${name}_count ${count}`);
    return lines.join("\n");
  }
}

/**
 * The q-quantile of observations whose cumulative bucket counts are `counts` (as Histogram.counts
 * gives them, or the difference of two), interpolated within its bucket as Prometheus's
 * histogram_quantile does: NaN with no observations, the highest bound if it falls past it.
 */
export function histogramQuantile(buckets: readonly number[], counts: readonly number[], q: number): number {
  const total = counts[buckets.length] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  if (i < 0 || i >= buckets.length) return buckets[buckets.length - 1]!;
  const below = i === 0 ? 0 : counts[i - 1]!;
  const lower = i === 0 ? 0 : buckets[i - 1]!;
  const inBucket = counts[i]! - below;
  return inBucket === 0 ? buckets[i]! : lower + (buckets[i]! - lower) * ((rank - below) / inBucket);
}

/** Counts responses by status: one slot per status code, one increment per request. */
export class StatusCounter {
  private readonly first: number;
  constructor(
    private readonly words: Words,
    slots: SlotAllocator,
    readonly name: string,
    readonly help: string,
  ) {
    this.first = slots.take(600);
  }
  inc(status: number): void {
    if (status >= 100 && status < 600) this.words.add(this.first + status, 1);
  }
  get(status: number): number {
    return status >= 100 && status < 600 ? this.words.get(this.first + status) : 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (let status = 100; status < 600; status++) {
      const v = this.words.get(this.first + status);
      if (v > 0) lines.push(`${this.name}{status="${status}"} ${v}`);
    }
    return lines.join("\n");
  }
}

/**
 * The counters; pass `memory` to count into another thread's.
 *
 * @example
 * const metrics = createMetrics();                       // the main thread
 * const same = createMetrics(metrics.memory);            // the HTTP thread, counting into it
 */
/** Parquet columns whose mismatched values are counted each under its own name; further ones count as "other". */
const MISMATCH_COLUMNS = 128;

/** @param parquetColumns FORMAT=parquet's column names (the same on both threads: they decide the slots) */
export function createMetrics(memory?: SharedArrayBuffer, parquetColumns: readonly string[] = []) {
  const words = new Words(SLOTS, memory);
  const slots = new SlotAllocator(words);
  const counter = (name: string, help: string, label?: { name: string; values: readonly string[] }) => new Counter(words, slots, name, help, label);
  return {
    memory: words.memory,
    requests: new StatusCounter(words, slots, "s3_ingest_http_requests_total", "HTTP responses by status."),
    threadRequests: counter("s3_ingest_http_thread_requests_total", "HTTP requests answered, by the HTTP thread (HTTP_THREADS) that answered them.", {
      name: "thread",
      values: Array.from({ length: MAX_HTTP_THREADS }, (_, i) => String(i)),
    }),
    payloadsAccepted: counter("s3_ingest_payloads_accepted_total", "Payloads acknowledged to clients."),
    payloadsWritten: counter("s3_ingest_payloads_written_total", "Payloads written to the store."),
    objectsWritten: counter("s3_ingest_objects_written_total", "Objects written to the store."),
    bytesWritten: counter("s3_ingest_bytes_written_total", "Object bytes written to the store (after compression)."),
    uploadErrors: counter("s3_ingest_upload_errors_total", "Failed upload attempts by error type (each is retried).", {
      name: "error_type",
      values: STORE_ERROR_TYPES,
    }),
    uploadRetries: counter("s3_ingest_upload_retries_total", "Upload attempts that repeat an earlier failed one."),
    partsUploaded: counter("s3_ingest_object_parts_uploaded_total", "Multipart parts uploaded (each object of more than one part)."),
    openObjects: new SharedGauge(words, slots, "s3_ingest_open_objects", "Objects being written: taking batches, or being completed."),
    openObjectBytes: new SharedGauge(
      words,
      slots,
      "s3_ingest_open_object_bytes",
      "Encoded bytes in objects not completed yet (parts uploaded, and the part being filled).",
    ),
    activePartitions: new SharedGauge(
      words,
      slots,
      "s3_ingest_partitions_active",
      "Partitions (PARTITION_BY) with an open object, the overflow partition aside: at most PARTITION_MAX_ACTIVE.",
    ),
    partitionOverflow: counter(
      "s3_ingest_partition_overflow_payloads_total",
      "Payloads written to the overflow partition ({field}=__other__) because PARTITION_MAX_ACTIVE partitions were open.",
    ),
    httpLoopLag: new Histogram(
      words,
      slots,
      "s3_ingest_http_event_loop_lag_seconds",
      "How late each run of the HTTP thread's housekeeping timer (every 50 ms) came: its event loop's delay, as a distribution.",
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    uploadSeconds: new Histogram(
      words,
      slots,
      "s3_ingest_upload_duration_seconds",
      "Time of one successful store call: a PUT, a part, or a completion.",
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    parquetMismatches: counter(
      "s3_ingest_parquet_mismatched_values_total",
      "Values that did not fit their column's type (FORMAT=parquet), by column: null in the column, kept as sent in _extra.",
      { name: "column", values: parquetColumns.slice(0, MISMATCH_COLUMNS) },
    ),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** Prometheus text: the counters, then `gauges` (read now). */
export function renderMetrics(metrics: Metrics, gauges: readonly { render(): string }[]): string {
  const { memory: _, ...series } = metrics;
  return `${[...Object.values(series), ...gauges].map((m) => m.render()).join("\n")}\n`;
}
