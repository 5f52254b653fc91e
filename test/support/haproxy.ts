// HAProxy (Debian package, installed by .ci/run) on loopback in front of several instances, as
// an ALB would be, running the deploy kit's own configuration.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "./wait.ts";

/**
 * Whether HAProxy is installed. On a machine with only Node and npm the tests that need it are
 * skipped, and say so; .ci/run installs it, so CI runs them.
 */
export const haveHaproxy = Bun.which("haproxy") !== null;

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

  /**
   * Runs deploy/haproxy.cfg itself, with its listener and servers pointed at this test's ports,
   * faster health checks, and any `timeout` lines given in `timeouts`.
   */
  async start(backendPorts: number[], timeouts: Record<string, string> = {}): Promise<this> {
    this.port = await freePort();
    let config = readFileSync(new URL("../../deploy/haproxy.cfg", import.meta.url), "utf8")
      .replace(/^ {2}bind .*$/m, `  bind 127.0.0.1:${this.port}`)
      .replace(/^ {2}server .*\n/m, backendPorts.map((p, i) => `  server s${i} 127.0.0.1:${p} check inter 200ms fall 1 rise 1\n`).join(""));
    for (const [name, value] of Object.entries(timeouts))
      config = config.replace(new RegExp(`^  timeout ${name} .*$`, "m"), `  timeout ${name} ${value}`);
    const file = join(this.dir, "haproxy.cfg");
    writeFileSync(file, config);
    this.proc = Bun.spawn(["haproxy", "-f", file, "-db"], { stdout: "ignore", stderr: "pipe" });
    await waitUntil(async () => (await fetch(`${this.url}/health`).catch(() => null))?.status === 200, "haproxy to serve").catch(async (err) => {
      this.proc?.kill();
      throw new Error(`${(err as Error).message}: ${await new Response(this.proc?.stderr as ReadableStream).text()}`);
    });
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
