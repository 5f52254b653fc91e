// Entrypoint: load the config, build the upload side, start the HTTP thread, and drain on
// SIGTERM/SIGINT. Signals and the drain's deadline run here, on the main thread, whose event loop
// holds no client sockets. `--help`, `--version`, `healthcheck`, `athena-ddl` and `schema` answer and exit;
// `drain-spool` uploads a spool and exits (drain-spool.ts).
// The allocator's setting comes first: it may replace the process, and the sooner it does, the
// less work is done twice. The rest is loaded after it.
import { applyAllocatorSettings } from "./allocator.ts";
import type { Config } from "./config.ts";
import type { HttpListener } from "./start-http-thread.ts";
import type { UploadSide } from "./upload-side.ts";

const args = process.argv.slice(2);
const oneShot =
  args.includes("--help") ||
  args.includes("-h") ||
  args.includes("--version") ||
  args[0] === "healthcheck" ||
  args[0] === "athena-ddl" ||
  args[0] === "schema";
if (!oneShot) applyAllocatorSettings();

const [{ ConfigError, loadConfig, renamedInUse }, { helpText, redactedConfig }, { healthcheck }, { BUILD, VERSION }] = await Promise.all([
  import("./config.ts"),
  import("./config-text.ts"),
  import("./healthcheck.ts"),
  import("./version.ts"),
]);

if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(helpText());
  process.exit(0);
}
if (args.includes("--version")) {
  process.stdout.write(`s3-ingest ${VERSION} (${BUILD})\n`);
  process.exit(0);
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`s3-ingest: invalid configuration: ${err.message}\n`);
  process.exit(2);
}

if (args[0] === "healthcheck") process.exit(await healthcheck(config));
if (args[0] === "schema") {
  const from = args.indexOf("--from");
  const file = from >= 0 ? args[from + 1] : undefined;
  if (!file) {
    process.stderr.write("s3-ingest schema: --from FILE.ndjson is required: sample payloads, one per line\n");
    process.exit(2);
  }
  const [{ readFileSync }, { proposeColumns, schemaReport }] = await Promise.all([import("node:fs"), import("./schema/infer.ts")]);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    process.stderr.write(`s3-ingest schema: cannot read ${file}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(schemaReport(proposeColumns(text.split("\n"))));
  process.exit(0);
}
if (args[0] === "athena-ddl") {
  const { athenaDdl, DdlError, parseDdlArgs } = await import("./athena-ddl.ts");
  try {
    process.stdout.write(athenaDdl(config, parseDdlArgs(args.slice(1))));
    process.exit(0);
  } catch (err) {
    if (!(err instanceof DdlError)) throw err;
    process.stderr.write(`s3-ingest athena-ddl: ${err.message}\n`);
    process.exit(2);
  }
}

if (args[0] === "drain-spool") {
  const [{ createLogger }, { drainSpool }] = await Promise.all([import("./log.ts"), import("./drain-spool.ts")]);
  let code: number;
  try {
    code = await drainSpool(config, createLogger(config.LOG_LEVEL));
  } catch (err) {
    // A SPOOL_DIR another process holds, or one that cannot be read: one line, exit 2.
    process.stderr.write(`s3-ingest drain-spool: cannot drain: ${(err as Error).message}\n`);
    code = 2;
  }
  process.exit(code);
}

const [{ createLogger, errorField }, { onSignal, runtimeName }, { startHttpThreads }, { createUploadSide }, { createShutdown }] = await Promise.all([
  import("./log.ts"),
  import("./runtime.ts"),
  import("./start-http-thread.ts"),
  import("./upload-side.ts"),
  import("./shutdown.ts"),
]);
const log = createLogger(config.LOG_LEVEL);
for (const [old, name] of renamedInUse(process.env)) log.warn(`${old} is deprecated: it was renamed ${name}`, { variable: old, use: name });
process.on("unhandledRejection", (err) => log.limited("error", "unhandled", "unhandled rejection", { error: errorField(err) }));

// Signals are handled from before the first HTTP thread listens. That thread answers while the
// others start, so a SIGTERM then must not end the process with its acknowledged payloads only in
// memory: a signal that comes before every thread is up is kept, and drains once they are.
let shutdown: ((reason: string) => Promise<void>) | undefined;
let pending: string | undefined;
const stop = (reason: string) => {
  if (shutdown) return void shutdown(reason);
  if (pending !== undefined) return;
  pending = reason;
  log.info("signal while starting; draining once every HTTP thread listens", { signal: reason });
};
let service: UploadSide | undefined;
onSignal("SIGHUP", () => service?.state.reloadTokens());
onSignal("SIGTERM", () => stop("SIGTERM"));
onSignal("SIGINT", () => stop("SIGINT"));

let listener: HttpListener;
try {
  service = createUploadSide(config, { log });
  service.start();
  listener = await startHttpThreads(config, service, (err) => {
    log.error("an HTTP thread stopped; draining what is queued, then exiting", { error: errorField(err) });
    stop("http_thread_failed");
  });
} catch (err) {
  // A TOKENS_FILE that cannot be read, a SPOOL_DIR another process holds, a port in use: one line, exit 2.
  process.stderr.write(`s3-ingest: cannot start: ${(err as Error).message}\n`);
  process.exit(2);
}
log.info("listening", {
  host: config.HOST,
  port: listener.port,
  admin_port: listener.adminPort,
  http_threads: listener.threads,
  http_thread_ids: listener.threadIds,
  version: VERSION,
  build: BUILD,
  runtime: runtimeName,
  store: service.store.location,
  instance_id: service.instanceId,
  config: redactedConfig(config),
});

shutdown = createShutdown({ service, listener, log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, spoolDir: config.SPOOL_DIR });
if (pending) void shutdown(pending);
