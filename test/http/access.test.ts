import { describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, redactedConfig } from "../../src/config.ts";
import { createRateLimiter } from "../../src/http/rate-limit.ts";
import { withRoutableUrl } from "../../src/http/routable-url.ts";
import { createTokenCheck, tokenDigest } from "../../src/http/tokens.ts";
import { testService } from "../support/app.ts";
import { collection } from "../support/collections.ts";

const tempFile = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), "tokens-"));
  const path = join(dir, "tokens");
  writeFileSync(path, text);
  return { path, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
};

describe("token check", () => {
  it("allows any token when no list is configured", () => {
    const check = createTokenCheck("", "");
    expect(check.enabled).toBe(false);
    expect(check.allows(tokenDigest("anything"))).toBe(true);
  });

  it("allows only the tokens of ALLOWED_TOKENS and TOKENS_FILE", () => {
    using file = tempFile("# clients\nfile-token\n\n  spaced  \n");
    const check = createTokenCheck("a, b", file.path);
    for (const t of ["a", "b", "file-token", "spaced"]) expect(check.allows(tokenDigest(t))).toBe(true);
    for (const t of ["c", "", "# clients", "A"]) expect(check.allows(tokenDigest(t))).toBe(false);
    expect(check.count).toBe(4);
  });

  it("picks up an edited TOKENS_FILE on reload, and keeps the old list when the file is gone", () => {
    using file = tempFile("old\n");
    const check = createTokenCheck("", file.path);
    writeFileSync(file.path, "new\n");
    expect(check.reload()).toEqual({ ok: true, count: 1 });
    expect(check.allows(tokenDigest("new"))).toBe(true);
    expect(check.allows(tokenDigest("old"))).toBe(false);
    rmSync(file.path);
    expect(check.reload().ok).toBe(false);
    expect(check.allows(tokenDigest("new"))).toBe(true);
  });

  it("never shows tokens in the start-up config", () => {
    const shown = JSON.stringify(redactedConfig(loadConfig({ ALLOWED_TOKENS: "secret-one,secret-two" })));
    expect(shown).not.toContain("secret");
    expect(shown).toContain("(2 tokens)");
  });
});

describe("rate limiter", () => {
  it("allows a second's worth at once, then asks to wait, then refills", () => {
    let now = 0;
    const limit = createRateLimiter(3, 100, () => now);
    expect([limit.take("k"), limit.take("k"), limit.take("k")]).toEqual([0, 0, 0]);
    expect(limit.take("k")).toBe(1);
    now += 400; // 1.2 tokens back
    expect(limit.take("k")).toBe(0);
    expect(limit.take("k")).toBe(1);
  });

  it("keeps its memory bounded however many keys arrive, dropping the least recently seen", () => {
    let now = 0;
    const limit = createRateLimiter(1, 1_000, () => now);
    limit.take("hot");
    for (let i = 0; i < 100_000; i++) {
      limit.take(`k${i}`);
      if (i % 500 === 0) expect(limit.take("hot")).toBeGreaterThanOrEqual(0);
    }
    expect(limit.size).toBe(1_000);
    now += 10;
    expect(limit.take("hot")).toBe(1); // still tracked: it was seen recently
  });
});

describe("access over HTTP", () => {
  it("answers 401 UNAUTHORIZED to a token not allowed, without echoing it", async () => {
    const t = testService({ ALLOWED_TOKENS: "good" });
    const res = await t.post(collection(["x"], "bad-secret-token"));
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).error).toBe("UNAUTHORIZED");
    expect(text).not.toContain("bad-secret-token");
    expect((await t.post(collection(["y"], "good"))).status).toBe(200);
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["y"]);
  });

  it("answers 429 RATE_LIMITED with Retry-After past TOKEN_RATE_LIMIT_PER_SEC, per token", async () => {
    const t = testService({ TOKEN_RATE_LIMIT_PER_SEC: "2" });
    expect((await t.post(collection(["1"], "a"))).status).toBe(200);
    expect((await t.post(collection(["2"], "a"))).status).toBe(200);
    const limited = await t.post(collection(["3"], "a"));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toBe("RATE_LIMITED");
    expect((await t.post(collection(["4"], "b"))).status).toBe(200);
  });

  it("keeps tokens out of the queued payloads and the metrics", async () => {
    const t = testService({ ALLOWED_TOKENS: "tok-abc" });
    await t.post(collection(["p"], "tok-abc"));
    await t.post(collection(["q"], "tok-xyz"));
    expect(t.queued().join("\n")).not.toContain("tok-");
    expect(await (await t.request("/metrics")).text()).not.toContain("tok-");
  });

  it("serves /metrics only on the admin app when ADMIN_PORT is set", async () => {
    const t = testService({ ADMIN_PORT: "9100" });
    expect((await t.request("/metrics")).status).toBe(404);
    expect((await t.request("/ready")).status).toBe(200);
    const admin = await t.http.adminApp!.handle(new Request("http://localhost/metrics"));
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain("s3_ingest_payloads_accepted_total");
  });
});

describe("withRoutableUrl", () => {
  it("gives a short-host URL a canonical host and leaves others alone", () => {
    const short = new Request("http://x/v1/collect?a=1", { method: "POST", body: "{}" });
    expect(withRoutableUrl(short).url).toBe("http://s3-ingest.invalid/v1/collect?a=1");
    const noHost = { url: "/ready", headers: new Headers() } as unknown as Request; // Bun's url for HTTP/1.0 without Host
    expect(withRoutableUrl(Object.assign(new Request("http://a/"), {})).url).toBe("http://s3-ingest.invalid/");
    expect(() => withRoutableUrl(noHost)).not.toThrow();
    const normal = new Request("http://ingest.example.com/v1/collect");
    expect(withRoutableUrl(normal)).toBe(normal);
  });
});
