// The HTTP thread's entry point, run as a Worker: the main thread sends it the config and the
// shared memory; it builds its apps, listens, and answers with its ports (or why it could not).
// From then on it only talks to the main thread through shared memory. No top-level await here:
// the handler must be in place when the main thread's message arrives, or the message is lost.

import { readlinkSync } from "node:fs";
import type { BufferMemory } from "../buffer/buffer.ts";
import type { Config } from "../config.ts";
import { createLogger, errorField } from "../log.ts";
import { createHttpThread } from "./http-thread.ts";
import { type ListenOn, listen } from "./listen.ts";

/** Everything the HTTP thread shares with the upload side: handed over once, at start. */
export interface HttpThreadMemory {
  buffer: BufferMemory;
  state: SharedArrayBuffer;
  health: SharedArrayBuffer;
  metrics: SharedArrayBuffer;
  /** The status page's per-second samples, which the upload side takes. */
  history: SharedArrayBuffer;
  /** TOKEN_RATE_LIMIT_PER_SEC's buckets (http/rate-limit.ts), when it is set. */
  rateLimit: SharedArrayBuffer | null;
}

export interface ServiceFacts {
  /** The instance id, which names this process's objects. */
  instanceId: string;
  /** Where objects go: `s3://bucket` or a directory. */
  store: string;
}

export interface HttpThreadInit {
  config: Config;
  memory: HttpThreadMemory;
  /** What the status page says about the process that only the main thread knows. */
  about: ServiceFacts;
  /** Which HTTP thread this is, from 0: its ring in the buffer, its heartbeat, its request counter. */
  thread: number;
  /** Where it listens: thread 0 on PORT and the admin port; the others on the port thread 0 bound. */
  on: ListenOn;
}

/** `tid`: the thread's OS id (Linux, from /proc/thread-self), as `top -H` and /proc/PID/task show it; null elsewhere. */
export type HttpThreadReply = { type: "listening"; port: number; adminPort: number | null; tid: number | null } | { type: "error"; message: string };

/** This thread's OS id: /proc/thread-self names the calling thread, PID/task/TID. */
function osThreadId(): number | null {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").at(-1));
  } catch {
    return null;
  }
}

declare const self: { onmessage: ((event: MessageEvent<HttpThreadInit>) => void) | null; postMessage(reply: HttpThreadReply): void };

self.onmessage = ({ data: { config, memory, about, thread, on } }) => {
  self.onmessage = null;
  try {
    const log = createLogger(config.LOG_LEVEL);
    process.on("unhandledRejection", (err) =>
      log.limited("error", "unhandled", "unhandled rejection on the HTTP thread", { error: errorField(err) }),
    );
    const http = createHttpThread(config, memory, log, about, thread);
    const { port, adminPort } = listen(http, on);
    http.startHousekeeping();
    self.postMessage({ type: "listening", port, adminPort, tid: osThreadId() });
  } catch (err) {
    self.postMessage({ type: "error", message: (err as Error).message });
  }
};
