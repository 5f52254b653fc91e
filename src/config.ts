// Every setting of s3-ingest, declared once: the TypeBox schema below is the source of
// loadConfig's validation, of `--help` and of the README's configuration table.

import { availableParallelism } from "node:os";
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { DEFAULT_PURGE_DELAY_MS } from "./allocator.ts";
import { parseColumns } from "./columns.ts";

const MiB = 1024 * 1024;

const Int = (def: number, min: number, max: number, description: string) => Type.Integer({ default: def, minimum: min, maximum: max, description });
const Str = (def: string, description: string) => Type.String({ default: def, description });
const OneOf = <T extends string>(values: readonly T[], def: T, description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { default: def, description },
  );
const Bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });

export const ConfigSchema = Type.Object({
  HOST: Str("0.0.0.0", "Address to listen on."),
  PORT: Int(8080, 0, 65535, "TCP port to listen on (0 picks a free port)."),
  MAX_BODY_BYTES: Int(1 * MiB, 1024, 256 * MiB, "Largest request body, in bytes, before and after gzip decompression; larger bodies get 413."),
  MAX_PAYLOADS_PER_REQUEST: Int(1000, 1, 1_000_000, "Most payloads in one collection's `data`; more get 422."),
  MAX_PAYLOAD_BYTES: Int(256 * 1024, 16, 256 * MiB, "Largest single payload, in bytes; a collection holding a larger one gets 413, whole."),
  REQUEST_TIMEOUT_MS: Int(10_000, 100, 600_000, "Longest time to receive a request's body; a slower client gets 408 and its connection closed."),
  ALLOWED_TOKENS: Str("", "Comma-separated tokens allowed to post (with TOKENS_FILE's). Empty, and no TOKENS_FILE: any token."),
  TOKENS_FILE: Str("", "File of allowed tokens, one per line (# comments); re-read on SIGHUP without a restart."),
  TOKEN_RATE_LIMIT_PER_SEC: Int(
    0,
    0,
    1_000_000,
    "Requests per second allowed per token, with a burst of one second's worth; past it 429. 0: no limit.",
  ),
  ADMIN_PORT: Int(
    0,
    0,
    65535,
    "Serve /metrics and the status page on this separate port (on ADMIN_HOST) instead of the main one. 0: on the main port.",
  ),
  ADMIN_HOST: Str("127.0.0.1", "Address of the admin listener (ADMIN_PORT)."),
  MAX_QUEUE_PAYLOADS: Int(100_000, 1, 100_000_000, "Capacity of the in-memory queue, in payloads."),
  MAX_QUEUE_BYTES: Int(
    16 * MiB,
    1024,
    2048 * MiB,
    "Capacity of the in-memory queue, in payload bytes (one newline each included); preallocated, shared by the HTTP thread and the upload side. At least MAX_BODY_BYTES.",
  ),
  HTTP_THREADS: Int(
    0,
    0,
    64,
    "Threads that receive requests, each with its own socket on PORT (SO_REUSEPORT) and its share of the queue. 0: one per core the process may use (os.availableParallelism()), as many as MAX_QUEUE_BYTES holds MAX_BODY_BYTES.",
  ),
  QUEUE_FULL_WAIT_MS: Int(
    2_000,
    0,
    60_000,
    "How long a request waits for room in a full queue (not reading its body meanwhile) before it gets 503 QUEUE_FULL: back-pressure shows as latency first. 0: 503 at once.",
  ),
  MAX_WORKERS: Int(4, 1, 4096, "Number of upload loops, i.e. the most batches being compressed and parts or PUTs in flight at once."),
  BATCH_MAX_PAYLOADS: Int(
    20_000,
    1,
    10_000_000,
    "Most payloads in one batch: what an upload loop compresses at once, one frame of an object (clamped to MAX_QUEUE_PAYLOADS).",
  ),
  BATCH_MAX_BYTES: Int(
    2 * MiB,
    1,
    4096 * MiB,
    "Most uncompressed payload bytes in one batch, clamped to MAX_QUEUE_BYTES (a larger payload still makes a batch of its own).",
  ),
  BATCH_MAX_WAIT_MS: Int(3_000, 0, 3_600_000, "Longest time a batch waits to fill before it goes into the open object anyway."),
  OBJECT_MAX_BYTES: Int(
    128 * MiB,
    1024,
    1024 * 1024 * MiB,
    "An object is completed once it holds this many bytes (compressed). Written as a multipart upload, so memory does not grow with it.",
  ),
  OBJECT_MAX_AGE_MS: Int(
    60_000,
    0,
    86_400_000,
    "...or this long after its first batch, whichever comes first: the longest a payload waits to be readable in S3. 0: every batch is an object of its own.",
  ),
  OBJECT_PART_BYTES: Int(
    5 * MiB,
    5 * MiB,
    5 * 1024 * MiB,
    "Size of a multipart part (S3's least is 5 MiB). Each upload loop holds at most one part in memory, plus the one being filled.",
  ),
  FORMAT: OneOf(["ndjson", "parquet"] as const, "ndjson", "Objects: `ndjson`, a payload a line; `parquet`, Parquet files of PARQUET_COLUMNS."),
  PARQUET_COLUMNS: Str(
    "",
    "FORMAT=parquet: the columns, `name:type` comma-separated, e.g. `event:string,ts:timestamp_ms,counters.cpu_ms:bigint` (a dotted name reads into nested objects). Types: string, bigint, double, boolean, timestamp_ms, date, json.",
  ),
  PARQUET_EXTRA: Bool(
    true,
    "FORMAT=parquet: keep the fields no column names, and values that do not fit their column, as their exact JSON in one `_extra` column. `false` drops them: the objects then no longer give every payload back.",
  ),
  PARQUET_ENCODE_THREADS: Int(0, 0, 64, "FORMAT=parquet: threads encoding row groups (about 6 µs a payload). 0: the cores less one, from 1 to 4."),
  COMPRESSION: OneOf(
    ["zstd", "gzip", "snappy", "none"] as const,
    "zstd",
    "Object encoding: `zstd` (`.ndjson.zst`), `gzip` (`.ndjson.gz`, for readers without zstd) or `none` (`.ndjson`); with FORMAT=parquet the codec of its pages, `snappy` too.",
  ),
  COMPRESSION_LEVEL: Int(0, 0, 19, "Compression level; 0 picks the codec's default here (zstd 1, gzip 6). zstd takes 1-19, gzip 1-9."),
  S3_CLIENT: OneOf(
    ["bun", "aws-sdk"] as const,
    "bun",
    "S3 client: `bun` (Bun's native client, far less CPU per PUT) or `aws-sdk`. On Deno the AWS SDK is always used.",
  ),
  S3_BUCKET: Str("", "Bucket to write to. Empty: write to the local directory DATA_DIR instead."),
  S3_PREFIX: Str("events", "Key prefix of every object (no leading or trailing slash)."),
  PARTITION_BY: Type.String({
    default: "",
    pattern: "^([A-Za-z_][A-Za-z0-9_]{0,127})?$",
    expect: "a field name (letters, digits and _, not starting with a digit) or empty",
    description:
      "Top-level field of each payload whose value partitions the objects: `{S3_PREFIX}/{field}={value}/dt=.../`. Strings, numbers and booleans partition; a payload without one goes to `__missing__`. `version`: the collection's envelope version instead. Empty: no partitions.",
  }),
  PARTITION_MAX_ACTIVE: Int(
    100,
    1,
    10_000,
    "Most partitions with an open object at once; payloads of further values go to `{field}=__other__` until one completes.",
  ),
  PARTITION_BUFFER_BYTES: Int(
    8 * MiB,
    256 * 1024,
    4096 * MiB,
    "Compressed bytes the partitions' open objects hold together (PARTITION_BY); past it, the one holding most is completed, or ships a part once it holds OBJECT_PART_BYTES. Larger: larger objects, and more memory.",
  ),
  TIME_PARTITION: OneOf(["hour", "day"] as const, "hour", "Time levels of the key: `dt=YYYY-MM-DD/hr=HH` (`hour`) or `dt=YYYY-MM-DD` alone (`day`)."),
  S3_ENDPOINT: Str("", "Endpoint URL of an S3-compatible store (MinIO, s3rver). Empty: AWS S3."),
  S3_FORCE_PATH_STYLE: Bool(false, "Use path-style URLs (`endpoint/bucket/key`), as most S3-compatible stores need."),
  S3_REQUEST_TIMEOUT_MS: Int(30_000, 100, 600_000, "Deadline of one PUT; past it the attempt counts as failed and is retried."),
  AWS_REGION: Str("us-east-1", "Region of the bucket. Credentials come from the AWS SDK's default chain."),
  DATA_DIR: Str("./data", "Directory for objects when S3_BUCKET is empty (same key layout as S3)."),
  RETRY_BASE_MS: Int(100, 1, 60_000, "First retry delay of a failed upload; doubles per attempt, with jitter."),
  RETRY_MAX_MS: Int(30_000, 1, 600_000, "Cap of the retry delay; non-retryable errors (403, NoSuchBucket) are retried at this pace."),
  STORE_FAILING_AFTER_MS: Int(10_000, 0, 3_600_000, "After uploads have failed for this long with no success, /ready answers 503."),
  DURABILITY: OneOf(
    ["memory", "disk"] as const,
    "memory",
    "`memory`: a 200 means the collection is queued in memory. `disk`: a 200 means it is fsync'd to the spool, and survives a crash.",
  ),
  SPOOL_DIR: Str(
    "./spool",
    "Spool directory: disk mode's segments, and what memory mode saves when the shutdown deadline passes. One process per directory.",
  ),
  SPOOL_MAX_BYTES: Int(1024 * MiB, 1024, 1024 * 1024 * MiB, "Most disk the spool may use; past it posts get 503."),
  SHUTDOWN_TIMEOUT_MS: Int(
    30_000,
    0,
    3_600_000,
    "On SIGTERM/SIGINT, longest time to finish requests and write the queue. Past it, what is left is saved to SPOOL_DIR for the next start and the process exits 0; 1 only if that save fails.",
  ),
  IDLE_TIMEOUT_SECS: Int(75, 1, 255, "Keep-alive idle timeout of client connections; keep it above the load balancer's (ALB: 60 s)."),
  MIMALLOC_PURGE_DELAY: Int(
    DEFAULT_PURGE_DELAY_MS,
    -1,
    3_600_000,
    "Bun's allocator: milliseconds freed memory stays mapped before it goes back to the OS (-1: never). Read at process start; when it is unset the service re-executes itself once, in place, with this default. Bun's own default, 100, faults request memory back in over and over: 1000 cut CPU per request by about a fifth (BENCHMARKS.md).",
  ),
  LOG_LEVEL: OneOf(["debug", "info", "warn", "error"] as const, "info", "Least severe log level written to stdout."),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;

/** Thrown with a one-line message naming the variable and the value received. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Variables renamed since 0.x, old name -> new name. The old name is still read, with a warning at
 * startup (see `renamedInUse`); setting both to different values is an error.
 */
export const RENAMED: Readonly<Record<string, keyof Config>> = {
  MAX_QUEUE: "MAX_QUEUE_PAYLOADS",
  BATCH_MAX_RECORDS: "BATCH_MAX_PAYLOADS",
};

const isSet = (raw: string | undefined): raw is string => raw !== undefined && raw !== "";

/** The renamed variables `env` still sets, as [old, new] pairs, for a startup warning each. */
export function renamedInUse(env: Record<string, string | undefined>): [string, keyof Config][] {
  return Object.entries(RENAMED).filter(([old]) => isSet(env[old]));
}

function withNewNames(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  for (const [old, name] of renamedInUse(env)) {
    if (isSet(env[name]) && env[name] !== env[old]) {
      throw new ConfigError(`${old} is the old name of ${name}; set only ${name}, got ${JSON.stringify(env[old])} and ${JSON.stringify(env[name])}`);
    }
    out[name] = env[old];
  }
  return out;
}

export const entries = () => Object.entries(ConfigSchema.properties) as [keyof Config, TSchema][];

export function expectation(schema: TSchema): string {
  if (typeof schema.expect === "string") return schema.expect;
  if (schema.type === "integer") {
    const max = schema.maximum as number;
    return `an integer from ${schema.minimum} to ${max}`;
  }
  if (schema.type === "boolean") return "true or false";
  if (schema.anyOf) return `one of ${schema.anyOf.map((s: TSchema) => s.const).join(", ")}`;
  return "a string";
}

function convert(schema: TSchema, raw: string): unknown {
  const text = raw.trim();
  if (schema.type === "integer") return /^-?\d+$/.test(text) ? Number(text) : raw;
  if (schema.type === "boolean") {
    if (/^(true|1|yes)$/i.test(text)) return true;
    if (/^(false|0|no)$/i.test(text)) return false;
    return raw;
  }
  return text;
}

/**
 * Validates the environment once and returns a frozen config; throws ConfigError on the first
 * bad value. Every variable left unset takes its schema default (see the README's table). The
 * old names in RENAMED are read too.
 *
 * @example
 * const config = loadConfig(process.env); // config.PORT === 8080 when PORT is unset
 */
export function loadConfig(given: Record<string, string | undefined>): Config {
  const env = withNewNames(given);
  const out: Record<string, unknown> = {};
  for (const [name, schema] of entries()) {
    const raw = env[name];
    const value = raw === undefined || raw === "" ? schema.default : convert(schema, raw);
    if (!Value.Check(schema, value)) {
      throw new ConfigError(`${name} must be ${expectation(schema)}, got ${JSON.stringify(raw)}`);
    }
    out[name] = value;
  }
  const config = out as Static<typeof ConfigSchema>;
  config.S3_PREFIX = config.S3_PREFIX.replace(/^\/+|\/+$/g, "");
  if (config.COMPRESSION === "snappy" && config.FORMAT !== "parquet") {
    throw new ConfigError(`COMPRESSION must be zstd, gzip or none with FORMAT=ndjson, got "snappy" (snappy is a Parquet codec)`);
  }
  if (config.FORMAT === "parquet") {
    if (!config.PARQUET_COLUMNS.trim())
      throw new ConfigError('PARQUET_COLUMNS must name the columns with FORMAT=parquet, e.g. "event:string,ts:timestamp_ms", got ""');
    try {
      parseColumns(config.PARQUET_COLUMNS);
    } catch (err) {
      throw new ConfigError(`PARQUET_COLUMNS: ${(err as Error).message}`);
    }
  }
  if (config.COMPRESSION === "gzip" && config.COMPRESSION_LEVEL > 9) {
    throw new ConfigError(`COMPRESSION_LEVEL must be from 0 to 9 with gzip, got "${config.COMPRESSION_LEVEL}"`);
  }
  if (config.MAX_QUEUE_BYTES < config.MAX_BODY_BYTES) {
    throw new ConfigError(`MAX_QUEUE_BYTES must be at least MAX_BODY_BYTES (${config.MAX_BODY_BYTES}), got "${config.MAX_QUEUE_BYTES}"`);
  }
  // Each HTTP thread has its share of the queue (queue/ring-set.ts), which must hold a whole body.
  const fit = Math.max(1, Math.min(Math.floor(config.MAX_QUEUE_BYTES / config.MAX_BODY_BYTES), config.MAX_QUEUE_PAYLOADS));
  if (config.HTTP_THREADS === 0) config.HTTP_THREADS = Math.min(availableParallelism(), fit, 64);
  else if (config.HTTP_THREADS > fit) {
    throw new ConfigError(
      `HTTP_THREADS must be at most ${fit}: each thread's share of MAX_QUEUE_BYTES (${config.MAX_QUEUE_BYTES}) must hold MAX_BODY_BYTES (${config.MAX_BODY_BYTES}), got "${config.HTTP_THREADS}"`,
    );
  }
  if (config.OBJECT_MAX_BYTES > 10_000 * config.OBJECT_PART_BYTES) {
    throw new ConfigError(
      `OBJECT_MAX_BYTES must be at most 10,000 parts of OBJECT_PART_BYTES (${10_000 * config.OBJECT_PART_BYTES}), got "${config.OBJECT_MAX_BYTES}"`,
    );
  }
  // A batch fills from the queue, so it can never be larger than the queue: clamp rather than wait forever.
  config.BATCH_MAX_PAYLOADS = Math.min(config.BATCH_MAX_PAYLOADS, config.MAX_QUEUE_PAYLOADS);
  config.BATCH_MAX_BYTES = Math.min(config.BATCH_MAX_BYTES, config.MAX_QUEUE_BYTES);
  return Object.freeze(config);
}
