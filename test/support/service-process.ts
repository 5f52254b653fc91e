// The service as a real child process on a free port: its JSON log lines are collected, its
// port is read from the "listening" line, and it is killed on dispose if still running.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitUntil } from "./wait.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The command that runs the service: the source under the current Bun by default. */
export function serviceCommand(): string[] {
  return [process.execPath, join(ROOT, "src/main.ts")];
}

export type LogLine = Record<string, unknown> & { level: string; msg: string };

export class ServiceProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly cwd = mkdtempSync(join(tmpdir(), "s3-ingest-"));
  readonly proc: ReturnType<typeof Bun.spawn>;
  port = 0;

  constructor(env: Record<string, string>, args: string[] = []) {
    this.proc = Bun.spawn([...serviceCommand(), ...args], {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    void this.collect(this.proc.stdout as ReadableStream<Uint8Array>, (line) => {
      try {
        this.logs.push(JSON.parse(line));
      } catch {
        this.logs.push({ level: "raw", msg: line });
      }
    });
    void this.collect(this.proc.stderr as ReadableStream<Uint8Array>, (line) => this.stderr.push(line));
  }

  private async collect(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        onLine(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
    if (rest) onLine(rest);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Waits for the "listening" line and reads the port from it. */
  async ready(timeoutMs = 15_000): Promise<this> {
    await waitUntil(() => this.logs.some((l) => l.msg === "listening") || this.proc.exitCode !== null, "the service to listen", { timeoutMs });
    const line = this.logs.find((l) => l.msg === "listening");
    if (!line) throw new Error(`service exited ${this.proc.exitCode}: ${this.stderr.join("\n")}`);
    this.port = line.port as number;
    return this;
  }

  post(body: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}/v1/collect`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  exited(): Promise<number> {
    return this.proc.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.proc.exitCode === null) {
      this.proc.kill("SIGKILL");
      await this.proc.exited;
    }
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const service = new ServiceProcess(env);
  try {
    return await service.ready();
  } catch (err) {
    await service[Symbol.asyncDispose]();
    throw err;
  }
}
