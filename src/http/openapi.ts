// GET /openapi.json: the contract for client authors, generated from what the service enforces,
// so it cannot drift: the TypeBox schema that validates a collection, the error catalog
// (errors.ts: each code's status, headers and meaning), and the size limits of the effective config.
import { Elysia } from "elysia";
import type { Config } from "../config.ts";
import { ERRORS, type ErrorCode } from "../errors.ts";
import { VERSION } from "../version.ts";
import { collectionSchema } from "./collection.ts";

/** A TypeBox schema as plain JSON Schema: its Symbol-keyed kind markers dropped. */
const plain = (schema: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(schema));

const errorBody = (codes: readonly string[]) => ({
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", enum: [...codes], description: "The error code: what a client may branch on." },
    message: { type: "string", description: "What happened, for people. Never quotes the request." },
  },
});

const HEADER_DOCS: Record<string, { description: string; schema: Record<string, unknown> }> = {
  "retry-after": { description: "Seconds to wait before trying again.", schema: { type: "integer", minimum: 0 } },
  allow: { description: "The methods the path takes.", schema: { type: "string", enum: ["POST"] } },
  connection: { description: "The service closes the connection.", schema: { type: "string", enum: ["close"] } },
};

/** The responses of POST /v1/collect: 200, then one per status of the catalog, listing its codes. */
function collectResponses(config: Config) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(ERRORS) as ErrorCode[]) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  const responses: Record<string, unknown> = {
    "200": {
      description: "Every payload of the collection is queued (memory mode) or fsync'd to the spool (disk mode).",
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["accepted"],
            properties: { accepted: { type: "integer", minimum: 1, maximum: config.MAX_PAYLOADS_PER_REQUEST } },
          },
        },
      },
    },
  };
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = new Set(codes.flatMap((c) => Object.keys((ERRORS[c] as { headers?: Record<string, string> }).headers ?? {})));
    responses[String(status)] = {
      description: codes.map((c) => `${c}: ${ERRORS[c].when}`).join("\n\n"),
      ...(headers.size > 0 && {
        headers: Object.fromEntries(
          [...headers].map((h) => [h === "retry-after" ? "Retry-After" : h[0]!.toUpperCase() + h.slice(1), HEADER_DOCS[h]!]),
        ),
      }),
      content: { "application/json": { schema: errorBody(codes) } },
    };
  }
  return responses;
}

/**
 * The OpenAPI 3.1 document for this config.
 *
 * @example
 * const doc = openApiDocument(loadConfig(process.env));
 * doc.paths["/v1/collect"].post.responses["503"]; // QUEUE_FULL, DRAINING, STORAGE_ERROR, with Retry-After
 */
export function openApiDocument(config: Config) {
  const limits =
    `Limits of this instance: a body of at most ${config.MAX_BODY_BYTES} bytes (MAX_BODY_BYTES, after gzip is inflated), ` +
    `at most ${config.MAX_PAYLOADS_PER_REQUEST} payloads (MAX_PAYLOADS_PER_REQUEST), each at most ${config.MAX_PAYLOAD_BYTES} bytes (MAX_PAYLOAD_BYTES).`;
  const json = (schema: Record<string, unknown>, description: string) => ({ description, content: { "application/json": { schema } } });
  return {
    openapi: "3.1.0",
    info: {
      title: "s3-ingest",
      version: VERSION,
      description:
        "Receives collections of JSON payloads and writes every payload to S3. A 200 means every payload of the collection is kept; " +
        "any other status means none is. Retry 408, 429 and 503 (after Retry-After when given) with exponential backoff and jitter; " +
        "do not retry other 4xx.",
    },
    paths: {
      "/v1/collect": {
        post: {
          operationId: "collect",
          summary: "Send a collection of payloads",
          description: limits,
          parameters: [
            {
              name: "Content-Encoding",
              in: "header",
              required: false,
              description: "gzip bodies are inflated (the limits apply to the inflated body).",
              schema: { type: "string", enum: ["gzip", "identity"] },
            },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { ...plain(collectionSchema(config.MAX_PAYLOADS_PER_REQUEST)), "x-max-body-bytes": config.MAX_BODY_BYTES },
              },
            },
          },
          responses: collectResponses(config),
        },
      },
      "/health": {
        get: {
          operationId: "health",
          summary: "Liveness",
          responses: { "200": json({ type: "object", properties: { status: { const: "ok" } } }, "The process runs.") },
        },
      },
      "/ready": {
        get: {
          operationId: "ready",
          summary: "Readiness, for load balancers",
          responses: {
            "200": json({ type: "object", properties: { ready: { const: true } } }, "Taking collections."),
            "503": json(
              { type: "object", properties: { ready: { const: false }, reason: { type: "string", enum: ["draining", "store_failing"] } } },
              "Draining, or the store is failing: send collections elsewhere.",
            ),
          },
        },
      },
      "/openapi.json": {
        get: { operationId: "openapi", summary: "This document", responses: { "200": json({ type: "object" }, "The OpenAPI document.") } },
      },
    },
  };
}

export function openApiRoutes(config: Config) {
  const document = JSON.stringify(openApiDocument(config));
  return new Elysia({ name: "openapi" }).get("/openapi.json", () => new Response(document, { headers: { "content-type": "application/json" } }));
}
