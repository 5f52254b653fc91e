// A recording, fault-injecting HTTP proxy in front of the test S3 server: it keeps each
// request's method, path and headers (to see which credentials signed it), and `fault` can turn
// a request into an S3 error or a hang. The Host header is passed on unchanged, since SigV4 signs it.
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** What to do with the n-th request (0-based): pass it on, answer an S3 error, or hang. */
export type Fault = (n: number, req: Request) => "pass" | "hang" | { status: number; code: string };

const s3Error = (status: number, code: string) =>
  new Response(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message></Error>`, {
    status,
    headers: { "content-type": "application/xml" },
  });

export class S3Proxy {
  readonly seen: SeenRequest[] = [];
  readonly injected: Record<string, number> = {};
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(
    private readonly upstream: () => string,
    private readonly fault: Fault = () => "pass",
  ) {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 30,
      fetch: async (req) => {
        const url = new URL(req.url);
        const n = this.seen.length;
        this.seen.push({ method: req.method, path: url.pathname, headers: Object.fromEntries(req.headers) });
        const action = this.fault(n, req);
        if (action !== "pass") {
          const kind = action === "hang" ? "hang" : action.code;
          this.injected[kind] = (this.injected[kind] ?? 0) + 1;
          if (action === "hang") {
            await Bun.sleep(5_000); // longer than the service's request timeout in the tests
            return s3Error(500, "InternalError");
          }
          return s3Error(action.status, action.code);
        }
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
