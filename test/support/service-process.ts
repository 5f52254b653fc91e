// The service as a real child process on a free port: its JSON log lines are collected, its
// port is read from the "listening" line, and it is killed on dispose if still running.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sourceTarget, type Target } from "./targets.ts";
import { waitUntil } from "./wait.ts";

export type LogLine = Record<string, unknown> & { level: string; msg: string };

export class ServiceProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly cwd = mkdtempSync(join(tmpdir(), "s3-ingest-"));
  readonly proc: ReturnType<typeof Bun.spawn>;
  /** HTTP_THREADS as asked for, which ready() checks against the "listening" line. */
  readonly threads: number | undefined;
  port = 0;

  /**
   * `cwd` defaults to a temp directory of its own; `detached` starts the command in a new
   * session, so that a test can signal its whole process group as a terminal's Ctrl-C does.
   */
  constructor(command: string[], env: Record<string, string>, { cwd, detached = false }: { cwd?: string; detached?: boolean } = {}) {
    this.threads = env.HTTP_THREADS === undefined ? undefined : Number(env.HTTP_THREADS);
    this.proc = Bun.spawn(command, {
      cwd: cwd ?? this.cwd,
      detached,
      // A clean environment: no AWS keys or profiles of the machine leak into the service.
      env: {
        PATH: process.env.PATH ?? "",
        HOME: this.cwd,
        AWS_CONFIG_FILE: join(this.cwd, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(this.cwd, "no-aws-credentials"),
        HOST: "127.0.0.1",
        PORT: "0",
        ...env,
      },
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
      for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
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
    // A suite that asks for several HTTP threads (the fault suite, the e2e targets) runs with them.
    if (this.threads !== undefined && line.http_threads !== this.threads) {
      throw new Error(`asked for HTTP_THREADS=${this.threads}, the service runs ${line.http_threads}`);
    }
    return this;
  }

  post(body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = {}): Promise<Response> {
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

export async function startService(env: Record<string, string>, target: Target = sourceTarget): Promise<ServiceProcess> {
  const service = new ServiceProcess(await target.command(), { ...target.env, ...env });
  try {
    return await service.ready();
  } catch (err) {
    await service[Symbol.asyncDispose]();
    throw err;
  }
}
