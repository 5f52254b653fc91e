// The disk buffer (DURABILITY=disk): the shared ring in front of the spool. The HTTP thread
// queues a collection in the ring; the spool writer appends what has queued up as one frame,
// fsyncs it, and only then lets the HTTP thread answer 200. The upload loops read sealed
// segments. Nothing acknowledged is only in memory, so a shutdown deadline leaves what is not
// uploaded in the spool for the next start.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { Acks } from "../queue/acks.ts";
import { RingSet } from "../queue/ring-set.ts";
import { Spool } from "../spool/spool.ts";
import type { IngestBuffer } from "./buffer.ts";
import { heldBytes, spoolOptions } from "./spool-options.ts";
import { SpoolReader } from "./spool-reader.ts";
import { SpoolStats } from "./spool-stats.ts";
import { SpoolWriter } from "./spool-writer.ts";

export function createDiskBuffer(config: Config, log: Logger, onWork: () => void): IngestBuffer {
  const ring = new RingSet(config.HTTP_THREADS, config.MAX_QUEUE_PAYLOADS, config.MAX_QUEUE_BYTES);
  const acks = ring.rings.map(() => new Acks());
  const stats = new SpoolStats();
  const spool = new Spool({ ...spoolOptions(config), onChange: (size) => stats.publish(size) });
  const writer = new SpoolWriter(ring, spool, acks, log, { maxBytes: config.BATCH_MAX_BYTES, maxPayloads: config.BATCH_MAX_PAYLOADS });
  return {
    type: "disk",
    memory: { type: "disk", queue: ring.memory, acks: acks.map((a) => a.memory), stats: stats.memory, spoolMaxBytes: config.SPOOL_MAX_BYTES },
    readers: [{ reader: new SpoolReader(spool, log, onWork), loops: config.MAX_WORKERS, journal: spool.records, maxHeldBytes: heldBytes(config) }],
    start: () => writer.start(),
    flush: () => void spool.sealNow(),
    async close() {
      await writer.close();
      await spool.close();
    },
    // The ring holds only collections waiting for their fsync: not acknowledged yet.
    get unwritten() {
      return stats.payloads;
    },
    unsaved: 0,
    async keepRemaining() {
      await spool.sealNow();
      return { saved: 0, segments: spool.segments };
    },
  };
}
