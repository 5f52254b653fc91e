// The status page's script, run in the browser: it reads status.json once a second and draws
// the last five minutes with uPlot (loaded before it, as the global `uPlot`). It asks only for
// the rows it has not seen (`?after=`), so a page left open costs the service one small answer
// a second. Served as text by src/http/status.ts; plain JavaScript, no build step.
(() => {
  const WINDOW_SECONDS = 300;
  const MiB = 1024 * 1024;

  /** Shows a value with this many decimals. */
  const fixed = (digits) => (v) => v.toFixed(digits);
  /**
   * A chart: its title, how to show values, and its series, each "field:label:colour" (a field
   * of the samples), with ":scale" when it has its own axis, on the right.
   */
  const chart = (id, title, format, series, range) => ({ id, title, format, series: series.map((s) => s.split(":")), ...(range && { range }) });

  const CHARTS = [
    chart("requests", "Requests per second, by status", fixed(0), [
      "requests_2xx:2xx:#2e7d32",
      "requests_4xx:4xx:#f9a825",
      "requests_429:429:#ef6c00",
      "requests_503:503:#c62828",
      "requests_5xx:5xx:#6a1b9a",
    ]),
    chart("payloads", "Payloads per second", fixed(0), ["payloads_accepted:accepted:#1565c0", "payloads_written:written:#00897b"]),
    chart("buffer", "Buffer fill, % of capacity", (v) => `${v.toFixed(1)}%`, ["buffer_fill_percent:fill:#5d4037"], [0, 100]),
    chart("latency", "Upload latency, last 10 s (ms)", fixed(1), ["upload_p50_ms:p50:#1565c0", "upload_p99_ms:p99:#c62828"]),
    chart("objects", "Written per second: objects, MiB", fixed(2), ["objects_written:objects:#00897b", "mib_written:MiB:#5e35b1:mib"]),
    chart("delays", "HTTP event-loop delay, upload stall (s)", (v) => v.toFixed(v < 10 ? 3 : 1), [
      "http_loop_delay_seconds:event-loop delay:#ef6c00",
      "upload_stalled_seconds:upload stalled:#c62828",
    ]),
    chart("memory", "Resident memory (MiB)", fixed(1), ["rss_mib:current:#1565c0", "peak_rss_mib:peak:#c62828"]),
  ];

  /** Fields the charts show that the service does not send: derived from those it does. */
  const DERIVED = {
    buffer_fill_percent: (c, i) => (c.buffer_capacity_bytes[i] > 0 ? (100 * c.buffer_bytes[i]) / c.buffer_capacity_bytes[i] : null),
    upload_p50_ms: (c, i) => (c.upload_p50_seconds[i] == null ? null : c.upload_p50_seconds[i] * 1000),
    upload_p99_ms: (c, i) => (c.upload_p99_seconds[i] == null ? null : c.upload_p99_seconds[i] * 1000),
    mib_written: (c, i) => c.bytes_written[i] / MiB,
    rss_mib: (c, i) => c.rss_bytes[i] / MiB,
    peak_rss_mib: (c, i) => c.peak_rss_bytes[i] / MiB,
  };

  const $ = (id) => document.getElementById(id);
  const columns = {}; // field -> values, oldest first
  let seen = 0; // rows of the service's ring read so far
  const plots = [];

  function append(history) {
    seen = history.count;
    const c = history.columns;
    const n = c.time.length;
    for (const field of Object.keys(c)) columns[field] = (columns[field] ?? []).concat(c[field]);
    for (const [field, derive] of Object.entries(DERIVED)) {
      const added = Array.from({ length: n }, (_, i) => derive(c, i));
      columns[field] = (columns[field] ?? []).concat(added);
    }
    const newest = columns.time.at(-1) ?? 0;
    const keep = columns.time.findIndex((t) => t > newest - WINDOW_SECONDS);
    if (keep > 0) for (const field of Object.keys(columns)) columns[field] = columns[field].slice(keep);
  }

  function chartOptions(chart, width) {
    return {
      title: chart.title,
      width,
      height: 180,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, ...(chart.range && { y: { range: chart.range } }) },
      axes: [
        {},
        { values: (_u, ticks) => ticks.map(chart.format), size: 60 },
        ...chart.series
          .filter(([, , , scale]) => scale)
          .map(([, label, stroke, scale]) => ({
            scale,
            side: 1,
            stroke,
            label,
            grid: { show: false },
            values: (_u, ticks) => ticks.map(chart.format),
          })),
      ],
      series: [
        {},
        ...chart.series.map(([, label, stroke, scale = "y"]) => ({
          label,
          stroke,
          scale,
          width: 2,
          spanGaps: false,
          value: (_u, v) => (v == null ? "-" : chart.format(v)),
        })),
      ],
    };
  }

  const dataFor = (chart) => [columns.time ?? [], ...chart.series.map(([field]) => columns[field] ?? [])];

  function drawCharts() {
    const holder = $("charts");
    const width = Math.max(320, Math.min(640, holder.clientWidth - 16));
    if (plots.length === 0) {
      for (const chart of CHARTS) {
        const div = document.createElement("div");
        div.className = "chart";
        div.id = `chart-${chart.id}`;
        holder.appendChild(div);
        plots.push([chart, new uPlot(chartOptions(chart, width), dataFor(chart), div)]);
      }
    } else {
      for (const [chart, plot] of plots) plot.setData(dataFor(chart));
    }
  }

  const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
  function duration(seconds) {
    const s = Math.floor(seconds);
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    return `${d ? `${d}d ` : ""}${h || d ? `${h}h ` : ""}${m}m ${s % 60}s`;
  }

  /** Numbers and words: each element with data-total / data-fact shows the value of that name. */
  function showWords(status) {
    const state = $("state");
    state.textContent = status.state.replace("_", " ");
    state.className = `badge ${status.state}`;
    const store = status.store;
    const lastError = store.last_error ? `${store.last_error.type}, ${new Date(store.last_error.at).toISOString()}` : "none";
    const facts = {
      store: `${store.location}: ${store.healthy ? "healthy" : "failing"}`,
      last_error: lastError,
      version: `${status.version} (${status.build})`,
      runtime: status.runtime,
      uptime: duration(status.uptime_seconds),
      instance_id: status.instance_id,
    };
    for (const el of document.querySelectorAll("[data-fact]")) el.textContent = facts[el.dataset.fact];
    const t = status.totals;
    const totals = {
      ...Object.fromEntries(Object.entries(t.requests).map(([k, v]) => [`requests_${k}`, v])),
      payloads_accepted: t.payloads_accepted,
      payloads_written: t.payloads_written,
      objects_written: t.objects_written,
      bytes_written: t.bytes_written,
      upload_errors: t.upload_errors,
      buffer_payloads: t.buffer_payloads,
    };
    for (const el of document.querySelectorAll("[data-total]")) el.textContent = String(totals[el.dataset.total]);
    $("buffer").textContent = `${mib(t.buffer_bytes)} of ${mib(t.buffer_capacity_bytes)}`;
    $("rss").textContent = `${mib(t.rss_bytes)} (peak ${mib(t.peak_rss_bytes)})`;
    $("config").textContent = JSON.stringify(status.config, null, 2);
    $("updated").textContent = new Date(status.time).toISOString();
  }

  async function refresh() {
    try {
      const response = await fetch(`status.json?after=${seen}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`status.json answered ${response.status}`);
      const status = await response.json();
      append(status.history);
      showWords(status);
      drawCharts();
    } catch (err) {
      const state = $("state");
      state.textContent = "unreachable";
      state.className = "badge unreachable";
      state.title = String(err);
    } finally {
      setTimeout(refresh, 1000);
    }
  }

  window.addEventListener("resize", () => {
    const width = Math.max(320, Math.min(640, $("charts").clientWidth - 16));
    for (const [, plot] of plots) plot.setSize({ width, height: 180 });
  });
  refresh();
})();
