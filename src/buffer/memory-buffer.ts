// The memory buffer (DURABILITY=memory): the shared ring, read by the upload loops in batches. A
// 200 means the collection is in the ring. A crash loses what it holds; a shutdown deadline
// saves it, with the batches still being uploaded, to the spool for the next start. A spool that
// an earlier process left behind is uploaded too, by loops of its own.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { Acks } from "../queue/acks.ts";
import type { Batch } from "../queue/batch.ts";
import { RingSet } from "../queue/ring-set.ts";
import { leftInSpool } from "../spool/recovery.ts";
import { Spool } from "../spool/spool.ts";
import type { BufferReader, IngestBuffer, Kept } from "./buffer.ts";
import { noJournal } from "./journal.ts";
import { RingReader } from "./ring-reader.ts";
import { heldBytes, spoolOptions } from "./spool-options.ts";
import { SpoolReader } from "./spool-reader.ts";
import { SpoolStats } from "./spool-stats.ts";

/** Loops that upload a spool an earlier process left: it is read once, beside the live traffic. */
const LEFTOVER_LOOPS = 2;

export function createMemoryBuffer(config: Config, log: Logger, onWork: () => void): IngestBuffer {
  const ring = new RingSet(config.HTTP_THREADS, config.MAX_QUEUE_PAYLOADS, config.MAX_QUEUE_BYTES);
  const stats = new SpoolStats();
  const reader = new RingReader(ring, {
    maxPayloads: config.BATCH_MAX_PAYLOADS,
    maxBytes: config.BATCH_MAX_BYTES,
    maxWaitMs: config.BATCH_MAX_WAIT_MS,
    onWork,
  });
  const readers: BufferReader[] = [{ reader, loops: config.MAX_WORKERS, journal: noJournal }];
  if (leftInSpool(config.SPOOL_DIR).length > 0) {
    // What an earlier process saved at its shutdown deadline: upload it, then this spool is done.
    const leftover = new Spool({ ...spoolOptions(config), onChange: (size) => stats.publish(size) });
    void leftover.close();
    readers.push({
      reader: new SpoolReader(leftover, log, onWork),
      loops: LEFTOVER_LOOPS,
      journal: leftover.records,
      maxHeldBytes: heldBytes(config),
    });
  }
  return {
    type: "memory",
    memory: {
      type: "memory",
      queue: ring.memory,
      acks: ring.rings.map(() => new Acks().memory),
      stats: stats.memory,
      spoolMaxBytes: config.SPOOL_MAX_BYTES,
    },
    readers,
    start: () => {},
    flush: () => reader.flush(),
    close: async () => reader.close(),
    get unsaved() {
      let payloads = ring.length;
      for (const batch of reader.outstanding) payloads += batch.payloads;
      return payloads;
    },
    get unwritten() {
      return this.unsaved + stats.payloads; // what an earlier process left is in the spool
    },
    async keepRemaining(more: readonly Batch[] = []): Promise<Kept> {
      ring.close(); // no collection is queued, and acknowledged, after what is saved here
      const batches = [...more, ...reader.outstanding, ring.drain(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)].filter((b) => b.payloads > 0);
      if (batches.length === 0) return { saved: 0, segments: 0 };
      const target = new Spool(spoolOptions(config));
      // Copies: an outstanding batch lives in its upload loop's reusable buffer.
      await Promise.all(batches.map((b) => target.append(b.ndjson.slice(), b.payloads)));
      await target.sealNow();
      return { saved: batches.reduce((n, b) => n + b.payloads, 0), segments: target.segments };
    },
  };
}
