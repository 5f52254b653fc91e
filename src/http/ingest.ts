// POST /v1/collect: read the body under its limits, check it against the schema (through
// Elysia), then put every payload in the queue or none of them, and only then answer 200.
import { Elysia } from "elysia";
import type { Config } from "../config.ts";
import { HttpError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import type { RingBuffer } from "../queue/ring-buffer.ts";
import type { StoreHealth } from "../upload/store-health.ts";
import { collectionSchema } from "./collection.ts";
import { payloadSlices } from "./payload-slices.ts";
import { bodyEncoding, readBody } from "./read-body.ts";

export interface ServiceState {
  draining: boolean;
}

export interface IngestDeps {
  config: Config;
  queue: RingBuffer<Uint8Array>;
  metrics: Metrics;
  health: StoreHealth;
  state: ServiceState;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function checkContentType(header: string | null): void {
  const media = header?.split(";", 1)[0]!.trim().toLowerCase();
  if (media !== "application/json") {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
}

export function ingestRoutes({ config, queue, metrics, health, state }: IngestDeps) {
  const bodies = new WeakMap<Request, Uint8Array>();
  const draining = () => new HttpError(503, "DRAINING", "the service is shutting down; retry on another instance", { "retry-after": "1" });
  // While the store is failing the queue will not empty soon: ask clients to back off longer.
  const queueFull = () =>
    new HttpError(503, "QUEUE_FULL", "the queue is full; retry later", { "retry-after": health.healthy ? "1" : "10" });

  return new Elysia({ name: "ingest", normalize: false })
    .post(
      "/v1/collect",
      ({ request }) => {
        const body = bodies.get(request)!;
        let payloads = payloadSlices(body);
        let bytes = 0;
        for (const p of payloads) bytes += p.length;
        // Payloads are views into the body. The queue counts payload bytes, so when the rest of
        // the body is larger than they are, copy them out rather than keep it all alive.
        if (bytes * 2 < body.length) payloads = payloads.map((p) => p.slice());
        if (!queue.tryPushAll(payloads, bytes)) throw state.draining ? draining() : queueFull();
        metrics.payloadsAccepted.inc(payloads.length);
        return { accepted: payloads.length };
      },
      {
        async parse({ request }) {
          if (state.draining) throw draining();
          checkContentType(request.headers.get("content-type"));
          const encoding = bodyEncoding(request.headers.get("content-encoding"));
          // Refuse before reading the body when not even one more payload fits.
          if (!queue.fits(1, 0)) throw queueFull();
          const bytes = await readBody(request, config.MAX_BODY_BYTES, encoding);
          let parsed: unknown;
          try {
            parsed = JSON.parse(utf8.decode(bytes));
          } catch (err) {
            throw new HttpError(400, "INVALID_JSON", "body is not valid UTF-8 JSON", {}, { cause: err });
          }
          bodies.set(request, bytes);
          return parsed;
        },
        body: collectionSchema(config.MAX_PAYLOADS_PER_REQUEST),
      },
    )
    .all("/v1/collect", () => {
      throw new HttpError(405, "METHOD_NOT_ALLOWED", "use POST", { allow: "POST" });
    });
}
