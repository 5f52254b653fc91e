// HAProxy (Debian package, installed by .ci/run) on loopback in front of several instances, as
// an ALB would be: health checks on /ready, and a request whose instance died is tried on another.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "./wait.ts";

/** A port free right now (the kernel picks it), for processes that need theirs before they start. */
export async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

export class HaProxy {
  readonly dir = mkdtempSync(join(tmpdir(), "haproxy-"));
  private proc: ReturnType<typeof Bun.spawn> | null = null;
  port = 0;

  async start(backendPorts: number[]): Promise<this> {
    this.port = await freePort();
    const config = [
      "global",
      "  maxconn 4096",
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 30s",
      "  timeout server 30s",
      "  retries 3",
      "  option redispatch",
      "  retry-on conn-failure empty-response response-timeout",
      `frontend in`,
      `  bind 127.0.0.1:${this.port}`,
      "  default_backend ingest",
      "backend ingest",
      "  balance roundrobin",
      "  option httpchk GET /ready",
      ...backendPorts.map((p, i) => `  server s${i} 127.0.0.1:${p} check inter 200ms fall 1 rise 1`),
      "",
    ].join("\n");
    const file = join(this.dir, "haproxy.cfg");
    writeFileSync(file, config);
    this.proc = Bun.spawn(["haproxy", "-f", file, "-db"], { stdout: "ignore", stderr: "pipe" });
    await waitUntil(async () => (await fetch(`${this.url}/health`).catch(() => null))?.status === 200, "haproxy to serve");
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  post(body: string): Promise<Response> {
    return fetch(`${this.url}/v1/collect`, { method: "POST", body, headers: { "content-type": "application/json" } });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.proc?.kill("SIGTERM");
    await this.proc?.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
