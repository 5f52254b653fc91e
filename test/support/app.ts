// A service built in-process with an in-memory store, for HTTP tests through app.handle().
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { createService } from "../../src/service.ts";
import { MemoryStore } from "./memory-store.ts";

export function testService(env: Record<string, string> = {}) {
  const logs: string[] = [];
  const store = new MemoryStore();
  const service = createService(loadConfig(env), { log: createLogger("debug", (l) => logs.push(l)), store, instanceId: "test" });
  const request = (path: string, init: RequestInit = {}) => service.app.handle(new Request(`http://localhost${path}`, init));
  const post = (body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = {}) =>
    request("/v1/collect", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  const queued = () =>
    new TextDecoder()
      .decode(service.queue.drain(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).ndjson)
      .split("\n")
      .filter((line) => line !== "");
  return { service, store, logs, request, post, queued };
}
