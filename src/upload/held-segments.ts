// Batches the buffer keeps until every object holding them is complete (spool segments). A
// segment cut into shares (PARTITION_BY) is held by each object given a share of it, and
// released once the last of them is complete; the records of those objects are finished once
// none of their segments is left, since they say which shares of those segments are written.
// Plain bookkeeping, no closure or promise per share, as tens of thousands are held at once (BENCHMARKS.md).
import type { ObjectJournal } from "../buffer/journal.ts";
import type { Logger } from "../log.ts";
import { errorField } from "../log.ts";
import type { HeldRead, HeldSegment, OpenObject } from "./open-object.ts";
import type { Retrier } from "./retry.ts";

export class HeldSegments {
  /** Oldest first. */
  private readonly segments = new Map<HeldRead, HeldSegment>();
  /** Records being finished once their segments are released. */
  private readonly finishing = new Set<Promise<unknown>>();

  constructor(
    private readonly journal: ObjectJournal,
    private readonly retrier: Retrier,
    private readonly log: Logger,
  ) {}

  /** Each object given a share of the segment holds it; released at once if none was (every share written before). */
  hold(read: HeldRead, objects: Set<OpenObject>): Promise<void> {
    if (objects.size === 0) return Promise.resolve(read.release());
    const segment: HeldSegment = { read, bytes: read.batch.ndjson.length, holders: new Set(objects), waiting: [] };
    this.segments.set(read, segment);
    for (const object of objects) object.shares.push(segment);
    return Promise.resolve();
  }

  /**
   * The object is complete: it lets go of its whole segments and its shares. A segment whose
   * last holder it was is released; its record is finished once none of its segments is left.
   */
  async release(object: OpenObject): Promise<void> {
    for (const read of object.held) await this.releaseSegment(read);
    const { record } = object;
    if (object.shares.length === 0) {
      if (record) await this.retrier.journal(() => this.journal.finished(record));
      return;
    }
    object.segmentsLeft = object.shares.length;
    for (const segment of object.shares) {
      segment.holders.delete(object);
      segment.waiting.push(object);
      if (segment.holders.size > 0) continue;
      this.segments.delete(segment.read);
      // Not released: the segment stays, and so do the records saying which shares of it are written.
      if (!(await this.releaseSegment(segment.read))) continue;
      for (const waiting of segment.waiting.splice(0)) {
        const done = waiting.record;
        if (--waiting.segmentsLeft > 0 || !done) continue;
        const finish: Promise<void> = this.retrier
          .journal(() => this.journal.finished(done))
          .then(() => {
            this.finishing.delete(finish);
          });
        this.finishing.add(finish);
      }
    }
  }

  /**
   * Segments stay in the buffer until every object holding a share of them is complete: past
   * `limit` bytes of them, the objects holding the oldest are completed, so that they can go.
   */
  leaveRoom(limit: number | undefined, complete: (object: OpenObject) => void): void {
    if (limit === undefined) return;
    let held = 0;
    for (const { bytes } of this.segments.values()) held += bytes;
    for (const { bytes, holders } of this.segments.values()) {
      if (held <= limit) return;
      for (const object of holders) complete(object);
      held -= bytes;
    }
  }

  /** Resolves once the records waiting for their segments are finished. */
  async settled(): Promise<void> {
    await Promise.all(this.finishing);
  }

  /** Releases a segment whose objects are written; false, and logged, if that failed. */
  private async releaseSegment(read: HeldRead): Promise<boolean> {
    try {
      await read.release();
      return true;
    } catch (err) {
      this.log.limited("error", "spool:remove", "removing an uploaded spool segment failed", { error: errorField(err) });
      return false;
    }
  }
}
