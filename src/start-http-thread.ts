// The main thread's side of the HTTP threads: starts HTTP_THREADS Workers over the shared memory
// and waits until every one listens. Thread 0 binds PORT (and the admin port); the others then
// listen on the port it bound, all with reusePort when there are several, so the kernel spreads
// connections among them. Client sockets live on those threads' event loops, never on this one,
// so this thread's timers, signals and uploads keep their pace however many connections they hold.
import type { Config } from "./config.ts";
import type { ListenOn } from "./http/listen.ts";
import type { HttpThreadInit, HttpThreadMemory, HttpThreadReply } from "./http/worker.ts";

export interface HttpListener {
  readonly port: number;
  /** The admin listener's port, when ADMIN_PORT is set. */
  readonly adminPort: number | null;
  /** How many HTTP threads listen. */
  readonly threads: number;
  /** Their OS thread ids (Linux; null elsewhere), thread 0 first: what `top -H` shows. */
  readonly threadIds: (number | null)[];
  stop(): Promise<void>;
}

/** Thrown when an HTTP thread could not start (a port in use, an unreadable TOKENS_FILE). */
export class HttpStartError extends Error {
  override name = "HttpStartError";
}

interface Service {
  memory: HttpThreadMemory;
  instanceId: string;
  store: { location: string };
}

/**
 * Starts one HTTP thread; resolves once it listens. `onCrash` is called if it dies later. The
 * worker's path is relative to this file, which sits beside main.ts, so it resolves the same in
 * the source and in the compiled binary (where it is an entrypoint).
 */
function startOne(config: Config, service: Service, thread: number, on: ListenOn, onCrash: (err: unknown) => void) {
  const worker = new Worker(new URL("./http/worker.ts", import.meta.url).href, { type: "module" });
  const listening = new Promise<{ port: number; adminPort: number | null; tid: number | null }>((resolve, reject) => {
    let started = false;
    worker.onmessage = ({ data }: MessageEvent<HttpThreadReply>) => {
      started = true;
      if (data.type === "error") {
        void worker.terminate();
        return reject(new HttpStartError(data.message));
      }
      resolve(data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      const err = new Error(event.message || `HTTP thread ${thread} failed`);
      if (started) onCrash(err);
      else reject(err);
    };
  });
  const about = { instanceId: service.instanceId, store: service.store.location };
  worker.postMessage({ config, memory: service.memory, about, thread, on } satisfies HttpThreadInit);
  return { worker, listening };
}

/**
 * Starts config.HTTP_THREADS HTTP threads. `onCrash` is called if one dies later: the service
 * cannot be trusted to take requests any more. If one cannot start, those started are stopped.
 *
 * @example
 * const listener = await startHttpThreads(config, service, (err) => log.error("an HTTP thread stopped", { error: String(err) }));
 * listener.port; // the public port
 */
export async function startHttpThreads(config: Config, service: Service, onCrash: (err: unknown) => void): Promise<HttpListener> {
  const shared = config.HTTP_THREADS > 1;
  const workers: Worker[] = [];
  const stop = async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    const first = startOne(config, service, 0, { port: config.PORT, shared, admin: true }, onCrash);
    workers.push(first.worker);
    const { port, adminPort, tid } = await first.listening;
    const rest = Array.from({ length: config.HTTP_THREADS - 1 }, (_, i) => startOne(config, service, i + 1, { port, shared, admin: false }, onCrash));
    workers.push(...rest.map((r) => r.worker));
    const others = await Promise.all(rest.map((r) => r.listening));
    return { port, adminPort, threads: workers.length, threadIds: [tid, ...others.map((o) => o.tid)], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
