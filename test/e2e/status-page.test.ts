// The status page in a real browser (chromium), against the service as a process and s3rver:
// the charts draw, the numbers it shows are the ones /metrics gives, nothing fails in the
// console, and a draining service says so. Each run leaves a screenshot in test-artefacts/.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { artefactPath, haveChromium, TestBrowser } from "../support/browser.ts";
import { freePort } from "../support/haproxy.ts";
import { collections, postAll } from "../support/load.ts";
import { startS3 } from "../support/s3.ts";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";
import { waitUntil } from "../support/wait.ts";

setDefaultTimeout(90_000);

/** The page's totals (data-total="name") and the metric each must equal, as a sum of samples. */
const TOTALS: Record<string, (name: string, status: number) => boolean> = {
  payloads_accepted: (name) => name === "s3_ingest_payloads_accepted_total",
  payloads_written: (name) => name === "s3_ingest_payloads_written_total",
  objects_written: (name) => name === "s3_ingest_objects_written_total",
  bytes_written: (name) => name === "s3_ingest_bytes_written_total",
  upload_errors: (name) => name === "s3_ingest_upload_errors_total",
  requests_2xx: (name, s) => name === "s3_ingest_http_requests_total" && s >= 200 && s < 300,
  requests_4xx: (name, s) => name === "s3_ingest_http_requests_total" && s >= 400 && s < 500 && s !== 429,
  requests_429: (name, s) => name === "s3_ingest_http_requests_total" && s === 429,
  requests_503: (name, s) => name === "s3_ingest_http_requests_total" && s === 503,
  requests_5xx: (name, s) => name === "s3_ingest_http_requests_total" && s >= 500 && s !== 503,
};

async function metricTotals(url: string): Promise<Record<string, number>> {
  const families = parsePrometheusTextFormat(await (await fetch(`${url}/metrics`)).text());
  const totals: Record<string, number> = {};
  for (const [total, matches] of Object.entries(TOTALS)) {
    totals[total] = 0;
    for (const f of families) for (const m of f.metrics) if (matches(f.name, Number(m.labels?.status ?? 0))) totals[total] += Number(m.value);
  }
  return totals;
}

/** How many pixels of a chart's canvas are (nearly) the colour `#rrggbb`: a series' line. */
const pixelsOf = (chart: string, hex: string) => `(() => {
  const canvas = document.querySelector("#chart-${chart} canvas");
  if (!canvas) return 0;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt("${hex}".slice(i, i + 2), 16));
  const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 24 && d[i + 3] > 200) n++;
  return n;
})()`;

const CHARTS = ["requests", "payloads", "buffer", "latency", "objects", "delays", "memory"];

describe.skipIf(!haveChromium)("the status page in chromium", () => {
  for (const target of targets()) {
    const on = onTarget(target);
    it.skipIf(on.skip)(`draws live charts whose numbers are /metrics' ${on.label}`, async () => {
      await using s3 = await startS3();
      await using service = await startService({ ...s3.env, BATCH_MAX_WAIT_MS: "50", OBJECT_MAX_AGE_MS: "50" }, target);
      const { acknowledged } = await postAll(service, collections("page", 300, 10));
      for (const body of ["{", '{"version":"1","token":"t","data":"x"}']) await service.post(body); // a 400 and a 422
      await fetch(`${service.url}/no-such-path`); // a 404
      await waitUntil(async () => (await metricTotals(service.url)).payloads_written === acknowledged.length, "every payload written");

      await using browser = await TestBrowser.open(`${service.url}/status`);
      await browser.waitFor(`document.querySelectorAll("#charts canvas").length >= ${CHARTS.length}`, "the charts");
      // Rows come once a second: wait for one that saw the posts (it may be the first).
      // The lines of the data: 2xx responses and written payloads (drawn over accepted, which it equals).
      await browser.waitFor(`${pixelsOf("requests", "#2e7d32")} > 30`, "the 2xx line");
      await browser.waitFor(`${pixelsOf("payloads", "#00897b")} > 30`, "the written-payloads line");
      for (const chart of CHARTS) {
        const drawn = await browser.page.evaluate(`(() => {
          const c = document.querySelector("#chart-${chart} canvas");
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let inked = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
          return inked;
        })()`);
        expect(drawn as number).toBeGreaterThan(100); // axes, grid and labels at least
      }
      expect(await browser.text("#state")).toBe("ready");
      expect(await browser.text('[data-fact="runtime"]')).toBe(target.name === "deno" ? "deno" : "bun");
      expect(await browser.text('[data-fact="store"]')).toBe(`s3://${s3.bucket}: healthy`);

      // The page polls: the numbers it shows after `before` was read lie between it and `after`.
      const before = await metricTotals(service.url);
      const shownAt = await browser.text("#updated");
      await browser.waitFor(`document.getElementById("updated").textContent !== ${JSON.stringify(shownAt)}`, "the next refresh");
      const shown = await browser.page.evaluate(
        `Object.fromEntries([...document.querySelectorAll("[data-total]")].map((el) => [el.dataset.total, Number(el.textContent)]))`,
      );
      const after = await metricTotals(service.url);
      for (const name of Object.keys(TOTALS)) {
        const value = (shown as Record<string, number>)[name];
        expect({ name, value, low: value! >= before[name]!, high: value! <= after[name]! }).toEqual({ name, value, low: true, high: true });
      }
      expect(before.payloads_accepted).toBe(acknowledged.length);
      expect(before.requests_4xx).toBe(3);

      await browser.page.screenshot({ path: artefactPath(`status-page-${target.name}.png`), fullPage: true });
      expect(browser.problems).toEqual([]);
    });
  }

  it("says draining, and names the store's last error, while a service drains against a store that is down", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    await using service = await startService({
      S3_BUCKET: "down",
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "x",
      BATCH_MAX_WAIT_MS: "20",
      OBJECT_MAX_AGE_MS: "20",
      RETRY_BASE_MS: "20",
      RETRY_MAX_MS: "100",
      SHUTDOWN_TIMEOUT_MS: "60000",
      STORE_FAILING_AFTER_MS: "600000",
    });
    expect((await service.post('{"version":"1","token":"t","data":[{"a":1}]}')).status).toBe(200);
    await using browser = await TestBrowser.open(`${service.url}/status`);
    await browser.waitFor(`document.querySelector('[data-fact="last_error"]').textContent.startsWith("network")`, "the store's last error");
    service.signal("SIGTERM");
    await browser.waitFor(`document.getElementById("state").textContent === "draining"`, '"draining"');
    expect(await browser.text('[data-fact="store"]')).toBe("s3://down: healthy"); // failing only after STORE_FAILING_AFTER_MS
    expect(browser.problems).toEqual([]);
  });
});
