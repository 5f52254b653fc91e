// A recording HTTP proxy in front of the test S3 server: it keeps each request's method, path
// and headers (to see which credentials signed it). The Host header is passed on unchanged,
// since SigV4 signs it.
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export class S3Proxy {
  readonly seen: SeenRequest[] = [];
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(private readonly upstream: () => string) {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        const url = new URL(req.url);
        this.seen.push({ method: req.method, path: url.pathname, headers: Object.fromEntries(req.headers) });
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
        return fetch(`${this.upstream()}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body, redirect: "manual" });
      },
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.stop(true);
  }
}
