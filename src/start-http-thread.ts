// The main thread's side of the HTTP thread: starts it as a Worker over the shared memory and
// waits until it listens. Client sockets live on that thread's event loop, never on this one,
// so this thread's timers, signals and uploads keep their pace however many connections it holds.
import type { Config } from "./config.ts";
import type { HttpThreadInit, HttpThreadMemory, HttpThreadReply } from "./http/worker.ts";

export interface HttpListener {
  readonly port: number;
  /** The admin listener's port, when ADMIN_PORT is set. */
  readonly adminPort: number | null;
  stop(): Promise<void>;
}

/** Thrown when the HTTP thread could not start (a port in use, an unreadable TOKENS_FILE). */
export class HttpStartError extends Error {
  override name = "HttpStartError";
}

/**
 * Starts the HTTP thread. `onCrash` is called if it dies later: the service cannot take
 * requests any more. The worker's path is relative to this file, which sits beside main.ts, so
 * it resolves the same in the source and in the compiled binary (where it is an entrypoint).
 */
/**
 * @example
 * const listener = await startHttpThread(config, service, (err) => log.error("the HTTP thread stopped", { error: String(err) }));
 * listener.port; // the public port
 */
export function startHttpThread(
  config: Config,
  { memory, instanceId, store }: { memory: HttpThreadMemory; instanceId: string; store: { location: string } },
  onCrash: (err: unknown) => void,
): Promise<HttpListener> {
  const worker = new Worker(new URL("./http/worker.ts", import.meta.url).href, { type: "module" });
  return new Promise((resolve, reject) => {
    let started = false;
    worker.onmessage = ({ data }: MessageEvent<HttpThreadReply>) => {
      started = true;
      if (data.type === "error") {
        void worker.terminate();
        return reject(new HttpStartError(data.message));
      }
      resolve({ port: data.port, adminPort: data.adminPort, stop: async () => void worker.terminate() });
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      const err = new Error(event.message || "the HTTP thread failed");
      if (started) onCrash(err);
      else reject(err);
    };
    worker.postMessage({ config, memory, about: { instanceId, store: store.location } } satisfies HttpThreadInit);
  });
}
