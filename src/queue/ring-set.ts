// The queue as the upload side reads it: one ring per HTTP thread (lanes), so that each thread
// pushes into its own ring with no lock and no contention on the request path, read as one
// queue. Capacity is split evenly between the rings: MAX_QUEUE_PAYLOADS and MAX_QUEUE_BYTES are
// the whole set's. A batch takes from every ring in proportion to what each holds, so a ring
// whose thread gets more connections is drained faster, and the rings fill alike; the ring it
// starts from turns, so that none is always last when a batch is full before it reaches them.
import type { Batch } from "./batch.ts";
import { RingBuffer, type RingMemory } from "./ring-buffer.ts";
import { RingGroup } from "./ring-group.ts";

/** A set's shared memory: one ring per producer, sharing one group. */
export interface RingSetMemory {
  rings: RingMemory[];
}

/** A batch out of the set, with how many of its payloads came from each ring (in order: disk mode acknowledges per ring). */
export interface SetBatch extends Batch {
  taken: number[];
}

/**
 * @example
 * const set = new RingSet(2, 100_000, 16 << 20);          // two HTTP threads
 * const ring = RingBuffer.attach(set.memory.rings[1]!);   // HTTP thread 1's producer view
 * const batch = set.drain(20_000, 2 << 20, scratch);       // from both, NDJSON
 */
export class RingSet {
  readonly memory: RingSetMemory;
  readonly rings: readonly RingBuffer[];
  readonly group: RingGroup;
  readonly capacity: number;
  readonly capacityBytes: number;
  private start = 0;

  /** `lanes` rings sharing `capacity` payloads and `capacityBytes` bytes evenly. */
  constructor(lanes: number, capacity: number, capacityBytes: number);
  /** Another view of an existing set (a gauge's). */
  constructor(memory: RingSetMemory);
  constructor(lanesOrMemory: number | RingSetMemory, capacity = 0, capacityBytes = 0) {
    if (typeof lanesOrMemory === "number") {
      const lanes = lanesOrMemory;
      if (!(lanes >= 1)) throw new RangeError(`a ring set needs at least one ring, got ${lanes}`);
      const group = new RingGroup().memory;
      const rings = Array.from({ length: lanes }, () => new RingBuffer(Math.floor(capacity / lanes), Math.floor(capacityBytes / lanes), group));
      this.memory = { rings: rings.map((r) => r.memory) };
      this.rings = rings;
    } else {
      this.memory = lanesOrMemory;
      this.rings = lanesOrMemory.rings.map((m) => RingBuffer.attach(m));
    }
    this.group = this.rings[0]!.group;
    this.capacity = this.rings.reduce((n, r) => n + r.capacity, 0);
    this.capacityBytes = this.rings.reduce((n, r) => n + r.capacityBytes, 0);
  }

  /** Payloads queued in every ring. */
  get length(): number {
    let n = 0;
    for (const ring of this.rings) n += ring.length;
    return n;
  }

  /** Bytes queued in every ring, newlines included. */
  get bytes(): number {
    let n = 0;
    for (const ring of this.rings) n += ring.bytes;
    return n;
  }

  /**
   * Consumer: the oldest payloads of each ring, up to `maxPayloads` and `maxBytes` in all, as one
   * NDJSON buffer (a view into `into` when they fit there). Like RingBuffer.drain, it takes at
   * least one record when any ring holds one, unless `strict`.
   */
  drain(maxPayloads: number, maxBytes: number, into?: Uint8Array, strict = false): SetBatch {
    const { rings } = this;
    const lanes = rings.length;
    const taken = new Array<number>(lanes).fill(0);
    const sizes = new Array<number>(lanes).fill(0);
    const total = this.length;
    const totalBytes = this.bytes;
    let payloads = 0;
    let bytes = 0;
    const first = this.start;
    this.start = (first + 1) % lanes;
    // Each ring's share, in proportion to what it holds, by payloads and by bytes. Only the
    // first ring that holds any may take a record past its share (unless strict): so one
    // larger than every share still moves, alone, once its ring comes first.
    for (let k = 0; k < lanes && payloads < maxPayloads && bytes < maxBytes; k++) {
      const i = (first + k) % lanes;
      const ring = rings[i]!;
      const held = ring.length;
      if (held === 0) continue;
      const quota = Math.ceil((maxPayloads * held) / Math.max(held, total));
      const byteQuota = Math.ceil((maxBytes * ring.bytes) / Math.max(ring.bytes, totalBytes));
      const m = ring.measure(Math.min(quota, maxPayloads - payloads), Math.min(byteQuota, maxBytes - bytes), strict || payloads > 0);
      taken[i] = m.payloads;
      sizes[i] = m.bytes;
      payloads += m.payloads;
      bytes += m.bytes;
    }
    // What the shares left unused (a ring whose next record would pass its share while another's
    // cannot move) goes to the rings in the same turn, whole records only.
    for (let k = 0; k < lanes && payloads < maxPayloads && bytes < maxBytes; k++) {
      const i = (first + k) % lanes;
      const ring = rings[i]!;
      if (taken[i] === ring.length) continue;
      const m = ring.measure(taken[i]! + maxPayloads - payloads, sizes[i]! + maxBytes - bytes, true);
      payloads += m.payloads - taken[i]!;
      bytes += m.bytes - sizes[i]!;
      taken[i] = m.payloads;
      sizes[i] = m.bytes;
    }
    const ndjson = into && into.length >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
    let at = 0;
    for (let i = 0; i < lanes; i++) {
      rings[i]!.take(taken[i]!, sizes[i]!, ndjson, at);
      at += sizes[i]!;
    }
    return { ndjson, payloads, taken };
  }

  /** Consumer: resolves once the rings hold `payloads` or `bytes` in all, after `timeoutMs`, or on wake(). */
  waitFor(payloads: number, bytes: number, timeoutMs = Infinity): Promise<void> {
    return this.group.waitFor(payloads, bytes, () => [this.length, this.bytes], timeoutMs);
  }

  wake(): void {
    this.group.wake();
  }

  /** Refuses every push into every ring from now on (RingGroup.close). */
  close(): void {
    this.group.close();
  }
}
