// `s3-ingest drain-spool`: upload everything a spool holds, then exit, with no HTTP listener.
// For a spool whose process is gone for good: a disk-mode pod's volume left behind when a
// StatefulSet scaled in (deploy/kubernetes/spool-drain runs this as a Job on it), or an
// instance's volume attached to another machine. It is the service's own start-up recovery
// (the spool's sealed segments, and the multipart uploads its records say were open) and its
// own drain, so what it writes is what the service would have written. SPOOL_DIR's lock keeps it
// and a service from sharing one spool. Exit 0 once every payload in the spool is in the store;
// SIGTERM or SIGINT stop it as they stop the service, leaving the rest in the spool.
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { onSignal } from "./runtime.ts";
import { createShutdown } from "./shutdown.ts";
import { createUploadSide } from "./upload-side.ts";

export async function drainSpool(config: Config, log: Logger): Promise<number> {
  const service = createUploadSide(config, { log });
  log.info("draining the spool", { spool_dir: config.SPOOL_DIR, payloads: service.unwritten, store: service.store.location });
  const noListener = { stop: async () => {} };
  const stop = createShutdown({ service, listener: noListener, log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, spoolDir: config.SPOOL_DIR });
  onSignal("SIGTERM", () => void stop("SIGTERM"));
  onSignal("SIGINT", () => void stop("SIGINT"));
  service.start();
  await service.close();
  const left = service.unwritten;
  const fields = {
    objects_written: service.metrics.objectsWritten.get(),
    payloads_written: service.metrics.payloadsWritten.get(),
    spool_dir: config.SPOOL_DIR,
  };
  if (left > 0) {
    log.error("the spool still holds payloads after the drain", { ...fields, unwritten: left });
    return 1;
  }
  log.info("spool drained; exiting", fields);
  return 0;
}
