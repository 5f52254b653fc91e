import { describe, expect, it } from "bun:test";
import { withRoutableUrl } from "../../src/http/routable-url.ts";

describe("withRoutableUrl", () => {
  it("gives a short-host URL a canonical host, keeping its method, headers and body", async () => {
    const short = new Request("http://x/v1/collect?a=1", { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    const routable = withRoutableUrl(short);
    expect(routable.url).toBe("http://s3-ingest.invalid/v1/collect?a=1");
    expect(routable.method).toBe("POST");
    expect(routable.headers.get("content-type")).toBe("application/json");
    expect(await routable.text()).toBe("{}");
    expect(withRoutableUrl(new Request("http://a/")).url).toBe("http://s3-ingest.invalid/");
    expect(withRoutableUrl(new Request("http://abc/v1")).url).toBe("http://s3-ingest.invalid/v1"); // its path at the 11th character
  });

  it("gives a request without Host (Bun's url is then just the path) the canonical host and that path", () => {
    const noHost = { url: "/ready", method: "GET", headers: new Headers({ "x-probe": "haproxy" }) } as unknown as Request; // HTTP/1.0
    const routable = withRoutableUrl(noHost);
    expect(routable.url).toBe("http://s3-ingest.invalid/ready");
    expect(routable.method).toBe("GET");
    expect(routable.headers.get("x-probe")).toBe("haproxy");
  });

  it("gives a URL with no path at all the root path", () => {
    expect(withRoutableUrl({ url: "http://x", headers: new Headers() } as unknown as Request).url).toBe("http://s3-ingest.invalid/");
  });

  it("leaves a URL whose path Elysia finds as it is: the same request", () => {
    const normal = new Request("http://ingest.example.com/v1/collect");
    expect(withRoutableUrl(normal)).toBe(normal);
    const fourLetters = new Request("http://abcd/v1"); // its path at the 12th character
    expect(withRoutableUrl(fourLetters)).toBe(fourLetters);
  });
});
