// POST /v1/collect: read the body under its limits, scan it (JSON syntax, payload spans), check
// its envelope against the TypeBox schema, then copy every payload into the queue or none of
// them, and only then answer 200. One straight function: going through Elysia's parse hook and
// body schema instead cost the HTTP thread measurably more per request (BENCHMARKS.md).
import { Elysia } from "elysia";
import type { BufferWriter, Pushed } from "../buffer/buffer.ts";
import type { Config } from "../config.ts";
import { HttpError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import { metaPrefix } from "../partition/line-prefix.ts";
import { partitionOf, VERSION_FIELD, versionPrefixer } from "../partition/partitions.ts";
import { createGarbagePacer } from "../shared/garbage-pacer.ts";
import type { SharedState } from "../shared/state.ts";
import type { StoreHealth } from "../shared/store-health.ts";
import { collectionCheck } from "./collection.ts";
import type { Deadlines } from "./deadlines.ts";
import { garbagePacing } from "./garbage.ts";
import type { RequestsInFlight } from "./in-flight.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { bodyEncoding, readBody } from "./read-body.ts";
import { type ScannedCollection, scanCollection } from "./scan-collection.ts";
import { type TokenCheck, tokenDigest } from "./tokens.ts";

export interface IngestDeps {
  config: Config;
  buffer: BufferWriter;
  tokens: TokenCheck;
  /** Per-token rate limit, when TOKEN_RATE_LIMIT_PER_SEC is set. */
  limiter: RateLimiter | null;
  metrics: Metrics;
  health: StoreHealth;
  state: SharedState;
  inFlight: RequestsInFlight;
  /** REQUEST_TIMEOUT_MS's deadlines, swept from the request path. */
  deadlines: Deadlines;
}

function checkContentType(header: string | null): void {
  const media = header?.split(";", 1)[0]?.trim().toLowerCase();
  if (media !== "application/json") {
    throw new HttpError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
}

export function ingestRoutes({ config, buffer, tokens, limiter, metrics, health, state, inFlight, deadlines }: IngestDeps) {
  const collection = collectionCheck(config.MAX_PAYLOADS_PER_REQUEST);
  // PARTITION_BY=version: the payloads do not hold their collection's version, so it goes with each (partition/line-prefix.ts).
  // FORMAT=parquet: when each payload was received and its collection's version, for the _received_at and _version columns.
  const byVersion = config.PARTITION_BY === VERSION_FIELD;
  const prefixOf =
    config.FORMAT === "parquet"
      ? (version: string) => metaPrefix(Date.now(), version, byVersion ? partitionOf(VERSION_FIELD, version) : "")
      : byVersion
        ? versionPrefixer()
        : null;
  const collectAfter = createGarbagePacer(garbagePacing(config));
  const draining = () => new HttpError("DRAINING", "the service is shutting down; retry on another instance");
  // While the store is failing the queue will not empty soon: ask clients to back off longer.
  const queueFull = () => new HttpError("QUEUE_FULL", "the queue is full; retry later", health.healthy ? {} : { headers: { "retry-after": "10" } });
  const answer = (pushed: Pushed, accepted: number) => {
    if (pushed === "failed") throw new HttpError("STORAGE_ERROR", "the service could not store the collection; retry later");
    if (pushed === "full") throw state.draining ? draining() : queueFull();
    metrics.payloadsAccepted.inc(accepted);
    return { accepted };
  };

  async function ingest(request: Request) {
    const startedAt = performance.now();
    if (!inFlight.enter(request)) throw draining();
    checkContentType(request.headers.get("content-type"));
    const encoding = bodyEncoding(request.headers.get("content-encoding"));
    // Back-pressure: a full queue holds the request (its body unread) until the upload side frees
    // room, for up to QUEUE_FULL_WAIT_MS in all, and only then refuses it. The body's deadline
    // (REQUEST_TIMEOUT_MS) runs from when it is read: the wait is not the client's.
    const until = startedAt + config.QUEUE_FULL_WAIT_MS;
    let readFrom = startedAt;
    if (!buffer.hasRoom()) {
      if (!(await buffer.whenRoom(until))) throw queueFull();
      readFrom = performance.now();
    }
    const body = await readBody(request, config.MAX_BODY_BYTES, encoding, deadlines, readFrom);
    collectAfter(body.length);
    let scanned: ScannedCollection;
    try {
      scanned = scanCollection(body);
    } catch (err) {
      throw new HttpError("INVALID_JSON", "body is not valid UTF-8 JSON", { cause: err });
    }
    const { envelope, spans } = scanned;
    if (!collection.check(envelope)) throw new HttpError("VALIDATION", collection.problems(envelope));
    if (tokens.enabled || limiter) {
      const digest = tokenDigest(envelope.token);
      if (!tokens.allows(digest)) throw new HttpError("UNAUTHORIZED", "the token is not allowed to post");
      const wait = limiter?.take(digest) ?? 0;
      if (wait > 0) throw new HttpError("RATE_LIMITED", "too many requests for this token", { headers: { "retry-after": String(wait) } });
    }
    for (let i = 0; i < spans.length; i += 2) {
      if (spans[i + 1]! - spans[i]! > config.MAX_PAYLOAD_BYTES) {
        throw new HttpError("PAYLOAD_TOO_LARGE", `payload ${i / 2} exceeds MAX_PAYLOAD_BYTES (${config.MAX_PAYLOAD_BYTES} bytes)`);
      }
    }
    const accepted = spans.length / 2;
    const pushed = buffer.push(body, spans, prefixOf?.(envelope.version), until);
    // Memory mode answers at once; disk mode once the spool's fsync covers this collection.
    if (typeof pushed === "string") return answer(pushed, accepted);
    return pushed.then((p) => answer(p, accepted));
  }

  return new Elysia({ name: "ingest" })
    .post("/v1/collect", ({ request }) => ingest(request))
    .all("/v1/collect", () => {
      throw new HttpError("METHOD_NOT_ALLOWED", "use POST");
    });
}
