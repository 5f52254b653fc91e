// A service built in-process, both its sides on this thread over the memory they share, with an
// in-memory store: for HTTP tests through the HTTP side's handle(), as the listening socket calls it.
import { loadConfig } from "../../src/config.ts";
import { createHttpThread } from "../../src/http/http-thread.ts";
import { createLogger } from "../../src/log.ts";
import { RingSet } from "../../src/queue/ring-set.ts";
import { createUploadSide } from "../../src/upload-side.ts";
import { MemoryStore } from "./memory-store.ts";

export function testService(env: Record<string, string> = {}) {
  const logs: string[] = [];
  const store = new MemoryStore();
  const log = createLogger("debug", (l) => logs.push(l));
  // One HTTP thread, this one, so its ring is the whole queue; a full queue answers at once unless a test asks it to wait.
  const config = loadConfig({ HTTP_THREADS: "1", QUEUE_FULL_WAIT_MS: "0", ...env });
  const service = createUploadSide(config, { log, store, instanceId: "test" });
  const http = createHttpThread(config, service.memory, log, { instanceId: service.instanceId, store: store.location });
  const request = (path: string, init: RequestInit = {}) => http.handle(new Request(`http://localhost${path}`, init));
  const post = (body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = {}) =>
    request("/v1/collect", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  // The service is not started here: nothing else reads the ring, so this view can.
  const ring = new RingSet(service.memory.buffer.queue);
  const queued = () =>
    new TextDecoder()
      .decode(ring.drain(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).ndjson)
      .split("\n")
      .filter((line) => line !== "");
  return { service, http, ring, store, logs, request, post, queued };
}
