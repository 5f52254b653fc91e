// /status and /status.json through the HTTP side's handler. The page itself is drawn in a real
// browser by test/e2e/status-page.test.ts.
import { describe, expect, it } from "bun:test";
import { newSampleRing, SAMPLE_FIELDS } from "../../src/status/sampler.ts";
import { storeErrorIndex } from "../../src/store/store.ts";
import { testService } from "../support/app.ts";
import { collection } from "../support/collections.ts";

type Status = {
  state: string;
  store: { location: string; healthy: boolean; last_error: { type: string; at: number } | null };
  instance_id: string;
  runtime: string;
  config: Record<string, unknown>;
  totals: Record<string, unknown> & { requests: Record<string, number> };
  history: { count: number; columns: Record<string, (number | null)[]> };
};

const statusOf = async (t: ReturnType<typeof testService>, query = ""): Promise<Status> =>
  (await t.request(`/status.json${query}`)).json() as Promise<Status>;

describe("GET /status", () => {
  it("is one page with everything inlined: uPlot, its styles and the page's script, nothing fetched from elsewhere", async () => {
    const t = testService();
    const res = await t.request("/status");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain("uPlot");
    expect(html).toContain("status.json?after=");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    // Each inlined script ends where its own tag does, not inside itself.
    expect(html.match(/<\/script>/g)?.length).toBe(html.match(/<script>/g)?.length);
  });
});

describe("GET /status.json", () => {
  it("says what /ready says in one word, with the store's last error by type", async () => {
    const t = testService({ ALLOWED_TOKENS: "secret-a,secret-b" });
    expect((await statusOf(t)).state).toBe("ready");
    t.service.health.failure(false, storeErrorIndex("access_denied"));
    const failing = await statusOf(t);
    expect(failing.state).toBe("store_failing");
    expect(failing.store).toMatchObject({ location: "memory", healthy: false, last_error: { type: "access_denied" } });
    t.service.health.success();
    const healthy = await statusOf(t);
    expect(healthy.store).toMatchObject({ healthy: true, last_error: { type: "access_denied" } }); // kept, with its time
    t.service.state.draining = true;
    expect((await statusOf(t)).state).toBe("draining");
  });

  it("names the process and shows the effective config with tokens redacted, as the start-up line does", async () => {
    const t = testService({ ALLOWED_TOKENS: "secret-a,secret-b", MAX_WORKERS: "7" });
    const status = await statusOf(t);
    expect(status.instance_id).toBe("test");
    expect(status.runtime).toBe("bun");
    expect(status.config).toMatchObject({ MAX_WORKERS: 7, ALLOWED_TOKENS: "(2 tokens)" });
    expect(JSON.stringify(status)).not.toContain("secret-");
  });

  it("gives totals read now from the counters /metrics renders", async () => {
    const t = testService();
    await t.post(collection(["a", "b", "c"]));
    await t.post("{");
    await t.request("/nowhere");
    const { totals } = await statusOf(t);
    expect(totals.payloads_accepted).toBe(3);
    expect(totals.buffer_payloads).toBe(3);
    expect(totals.requests).toEqual({ "2xx": 1, "4xx": 2, "429": 0, "503": 0, "5xx": 0 });
  });

  it("gives the samples after those the page has, or all of them for any other `after`", async () => {
    const t = testService();
    const { history: empty } = await statusOf(t);
    expect(empty.count).toBe(0);
    // The started upload side samples once a second; here, rows are pushed by hand into its ring.
    const ring = newSampleRing(t.service.memory.history);
    for (let n = 1; n <= 3; n++) ring.push(Object.fromEntries(SAMPLE_FIELDS.map((f) => [f, f === "time" ? n : Number.NaN])) as never);
    const all = await statusOf(t);
    expect(all.history.count).toBe(3);
    expect(all.history.columns.time).toEqual([1, 2, 3]);
    expect(all.history.columns.upload_p50_seconds).toEqual([null, null, null]); // NaN: no upload, as JSON can say it
    expect((await statusOf(t, "?after=2")).history.columns.time).toEqual([3]);
    for (const odd of ["?after=abc", "?after=-1", "?after=1.5"]) expect((await statusOf(t, odd)).history.columns.time).toEqual([1, 2, 3]);
  });
});
