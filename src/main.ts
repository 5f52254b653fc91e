// Entrypoint: load the config, build the upload side, start the HTTP thread, and drain on
// SIGTERM/SIGINT. Signals and the drain's deadline run here, on the main thread, whose event loop
// holds no client sockets. `--help`, `--version` and `healthcheck` answer and exit.
// The allocator's setting comes first: it may replace the process, and the sooner it does, the
// less work is done twice. The rest is loaded after it.
import { applyAllocatorSettings } from "./allocator.ts";
import type { Config } from "./config.ts";
import type { HttpListener } from "./server.ts";
import type { Service } from "./service.ts";

const args = process.argv.slice(2);
const oneShot = args.includes("--help") || args.includes("-h") || args.includes("--version") || args[0] === "healthcheck";
if (!oneShot) applyAllocatorSettings();

const [{ ConfigError, helpText, loadConfig, redactedConfig }, { healthcheck }, { BUILD, VERSION }] = await Promise.all([
  import("./config.ts"),
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

const [{ createLogger, errorField }, { onSignal, runtimeName }, { startHttpThread }, { createService }, { drain }] = await Promise.all([
  import("./log.ts"),
  import("./runtime.ts"),
  import("./server.ts"),
  import("./service.ts"),
  import("./shutdown.ts"),
]);
const log = createLogger(config.LOG_LEVEL);
process.on("unhandledRejection", (err) => log.limited("error", "unhandled", "unhandled rejection", { error: errorField(err) }));

let service: Service;
let listener: HttpListener;
try {
  service = createService(config, { log });
  service.start();
  listener = await startHttpThread(config, service.memory, (err) => {
    log.error("the HTTP thread stopped; draining what is queued, then exiting", { error: errorField(err) });
    void shutdown("http_thread_failed");
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
  version: VERSION,
  build: BUILD,
  runtime: runtimeName,
  store: service.store.location,
  instance_id: service.instanceId,
  config: redactedConfig(config),
});

let stopping = false;
let firstSignalAt = 0;
/** A second SIGINT this soon after the first is the same Ctrl-C delivered twice: npm, for one, forwards the terminal's. */
const SAME_SIGNAL_MS = 1_000;
async function shutdown(reason: string) {
  if (stopping) {
    // A repeated SIGTERM often comes from a wrapper forwarding it (timeout, a process group kill):
    // keep draining. A second Ctrl-C, a moment later, is a person who wants out now.
    if (reason !== "SIGINT" || Date.now() - firstSignalAt < SAME_SIGNAL_MS) return log.info("already draining", { signal: reason });
    log.error("second signal: exiting without finishing the drain", { signal: reason, unwritten: service.unwritten() });
    process.exit(1);
  }
  firstSignalAt = Date.now();
  stopping = true;
  log.info("draining", { signal: reason, timeout_ms: config.SHUTDOWN_TIMEOUT_MS });
  const result = await drain(service, config.SHUTDOWN_TIMEOUT_MS);
  await listener.stop();
  const fields = { objects_written: service.metrics.objectsWritten.get(), requests_cut_off: result.requestsCutOff };
  if (!result.ok) {
    log.error("shutdown deadline passed and the unwritten payloads could not be saved to the spool", {
      ...fields,
      unwritten: result.unwritten,
      error: result.error,
    });
    process.exit(1);
  }
  const leftInSpool = config.DURABILITY === "disk" && result.timedOut ? (service.spool?.segments ?? 0) : 0;
  if (result.unwritten === 0 && leftInSpool === 0) log.info("drained; exiting", fields);
  else {
    log.warn("shutdown deadline passed; unwritten payloads are in the spool for the next start", {
      ...fields,
      unwritten: result.unwritten,
      spool_dir: config.SPOOL_DIR,
      ...(leftInSpool > 0 && { spool_segments: leftInSpool }),
    });
  }
  process.exit(reason.startsWith("SIG") ? 0 : 1);
}
onSignal("SIGHUP", () => service.state.reloadTokens());
onSignal("SIGTERM", () => void shutdown("SIGTERM"));
onSignal("SIGINT", () => void shutdown("SIGINT"));
