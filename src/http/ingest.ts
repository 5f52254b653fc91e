// POST /v1/collect: read the body under its limits, scan it (JSON syntax, payload spans), check
// its envelope against the schema (through Elysia), then copy every payload into the queue or
// none of them, and only then answer 200.
import { Elysia } from "elysia";
import type { Config } from "../config.ts";
import { HttpError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import type { RingBuffer } from "../queue/ring-buffer.ts";
import type { StoreHealth } from "../upload/store-health.ts";
import { collectionSchema } from "./collection.ts";
import { scanCollection } from "./scan-collection.ts";
import { bodyEncoding, readBody } from "./read-body.ts";

export interface ServiceState {
  draining: boolean;
}

export interface IngestDeps {
  config: Config;
  queue: RingBuffer;
  metrics: Metrics;
  health: StoreHealth;
  state: ServiceState;
}

function checkContentType(header: string | null): void {
  const media = header?.split(";", 1)[0]!.trim().toLowerCase();
  if (media !== "application/json") {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
}

export function ingestRoutes({ config, queue, metrics, health, state }: IngestDeps) {
  const bodies = new WeakMap<Request, { body: Uint8Array; spans: number[] }>();
  const draining = () => new HttpError(503, "DRAINING", "the service is shutting down; retry on another instance", { "retry-after": "1" });
  // While the store is failing the queue will not empty soon: ask clients to back off longer.
  const queueFull = () =>
    new HttpError(503, "QUEUE_FULL", "the queue is full; retry later", { "retry-after": health.healthy ? "1" : "10" });

  return new Elysia({ name: "ingest", normalize: false })
    .post(
      "/v1/collect",
      ({ request }) => {
        const { body, spans } = bodies.get(request)!;
        if (!queue.tryPush(body, spans)) throw state.draining ? draining() : queueFull();
        const accepted = spans.length / 2;
        metrics.payloadsAccepted.inc(accepted);
        return { accepted };
      },
      {
        async parse({ request }) {
          if (state.draining) throw draining();
          checkContentType(request.headers.get("content-type"));
          const encoding = bodyEncoding(request.headers.get("content-encoding"));
          // Refuse before reading the body when not even one more payload fits.
          if (!queue.fits(1, 0)) throw queueFull();
          const body = await readBody(request, config.MAX_BODY_BYTES, encoding);
          let scanned;
          try {
            scanned = scanCollection(body);
          } catch (err) {
            throw new HttpError(400, "INVALID_JSON", "body is not valid UTF-8 JSON", {}, { cause: err });
          }
          bodies.set(request, { body, spans: scanned.spans });
          return scanned.envelope;
        },
        body: collectionSchema(config.MAX_PAYLOADS_PER_REQUEST),
      },
    )
    .all("/v1/collect", () => {
      throw new HttpError(405, "METHOD_NOT_ALLOWED", "use POST", { allow: "POST" });
    });
}
