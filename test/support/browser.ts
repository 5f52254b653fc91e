// A real browser for page tests: Debian's chromium (installed by .ci/run), driven by
// puppeteer-core, since no browser can be downloaded here. Everything the page logs as an error,
// throws, or fails to load is collected, so a test can require there was none.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { ROOT } from "./targets.ts";

/** CHROMIUM names another binary; on a machine without one, page tests are skipped and say so. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

/** Where tests leave what a person may want to look at afterwards (screenshots). */
export function artefactPath(name: string): string {
  const dir = process.env.TEST_ARTEFACTS ?? join(ROOT, "test-artefacts");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export class TestBrowser {
  /** Console errors, uncaught exceptions and failed requests, as text. */
  readonly problems: string[] = [];
  private constructor(
    readonly browser: Browser,
    readonly page: Page,
  ) {}

  static async open(url: string, viewport = { width: 1360, height: 1500 }): Promise<TestBrowser> {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"] });
    try {
      const page = await browser.newPage();
      await page.setViewport(viewport);
      const tb = new TestBrowser(browser, page);
      page.on("console", (m) => {
        if (m.type() === "error") tb.problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (err) => tb.problems.push(`exception: ${(err as Error).message ?? String(err)}`));
      page.on("requestfailed", (r) => tb.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
      page.on("response", (r) => {
        if (r.status() >= 400) tb.problems.push(`response ${r.status()}: ${r.url()}`);
      });
      const response = await page.goto(url, { waitUntil: "load" });
      if (!response?.ok()) throw new Error(`${url} answered ${response?.status()}`);
      return tb;
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /** Polls `fn` in the page until it returns true. */
  async waitFor(fn: string, what: string, timeoutMs = 15_000): Promise<void> {
    try {
      await this.page.waitForFunction(fn, { timeout: timeoutMs, polling: 50 });
    } catch (err) {
      throw new Error(`timed out after ${timeoutMs} ms waiting in the page for ${what}: ${(err as Error).message}`);
    }
  }

  text(selector: string): Promise<string> {
    return this.page.$eval(selector, (el) => el.textContent ?? "");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.browser.close();
  }
}
