// `bun run screenshot:status`: the README's picture of the status page (docs/status-page.png),
// taken from a real run: the service as a process against s3rver, a minute of steady posts, some
// refused, and chromium (CHROMIUM, default /usr/bin/chromium) to draw the page.
import { TestBrowser } from "../test/support/browser.ts";
import { collections } from "../test/support/load.ts";
import { startS3 } from "../test/support/s3.ts";
import { startService } from "../test/support/service-process.ts";
import { ROOT } from "../test/support/targets.ts";

const SECONDS = Number(process.env.SECONDS_OF_LOAD ?? 60);
const out = process.env.OUT ?? `${ROOT}/docs/status-page.png`;

await using s3 = await startS3();
await using service = await startService({ ...s3.env, OBJECT_MAX_AGE_MS: "5000" });
const end = Date.now() + SECONDS * 1000;
let round = 0;
while (Date.now() < end) {
  // A wave: busier in the middle of the run, with a few bad requests.
  const per = 20 + Math.round(80 * Math.sin((Math.PI * (end - Date.now())) / (SECONDS * 1000)));
  await Promise.all(collections(`shot-${round++}`, per, 20).map((c) => service.post(c.body)));
  if (round % 7 === 0) await service.post("{");
  await Bun.sleep(100);
}
await using browser = await TestBrowser.open(`${service.url}/status`, { width: 1360, height: 900 });
await browser.waitFor(`document.querySelectorAll("#charts canvas").length >= 7`, "the charts");
await Bun.sleep(1500); // one refresh after the first draw, so the header shows live numbers
await browser.page.screenshot({ path: out, fullPage: true });
console.log(`wrote ${out}`);
