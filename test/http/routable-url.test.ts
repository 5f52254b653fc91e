import { describe, expect, it } from "bun:test";
import { withRoutableUrl } from "../../src/http/routable-url.ts";

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
