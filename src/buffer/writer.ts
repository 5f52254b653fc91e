// An HTTP thread's side of the buffer: copies a collection's payloads into its own ring of the
// shared queue (queue/ring-set.ts), all or none, and says when the client may have its 200.
// Memory: at once. Disk: once the upload side has fsync'd them to the spool (queue/acks.ts).
// When there is no room, a push may wait for some until a deadline: the queue's back-pressure
// shows as latency before it becomes a 503. Built once per thread, from the buffer's memory.
import { AckFailed, Acks } from "../queue/acks.ts";
import { RingSet } from "../queue/ring-set.ts";
import { ndjsonBytes } from "../queue/spans.ts";
import { FRAME_HEADER_BYTES } from "../spool/frame.ts";
import type { BufferMemory, BufferWriter, Pushed } from "./buffer.ts";
import { SpoolStats } from "./spool-stats.ts";

/** How often a wait for room looks again when nothing wakes it: the spool frees room without a signal. */
const ROOM_POLL_MS = 50;

/**
 * The writer into ring `lane` of the buffer whose memory this is (the HTTP thread's own views).
 *
 * @example
 * const writer = createBufferWriter(memory.buffer, 0);
 * const pushed = await writer.push(body, spans, undefined, performance.now() + 2_000); // "ok", "full" or "failed"
 */
export function createBufferWriter(memory: BufferMemory, lane = 0): BufferWriter {
  const queue = new RingSet(memory.queue);
  if (!(lane >= 0 && lane < queue.rings.length)) throw new RangeError(`the buffer has ${queue.rings.length} rings, not ${lane + 1}`);
  const ring = queue.rings[lane]!;
  const { group } = queue;
  const disk = memory.type === "disk";
  const acks = new Acks(memory.acks[lane]);
  const spool = new SpoolStats(memory.stats);
  // Disk: what the spool will hold once everything queued is written (the rings become spool frames).
  const spoolRoom = (bytes: number) => !disk || spool.bytes + queue.bytes + FRAME_HEADER_BYTES + bytes <= memory.spoolMaxBytes;
  const fits = (payloads: number, bytes: number) => ring.fits(payloads, bytes) && spoolRoom(bytes);

  /** Waits until `payloads` taking `bytes` fit, or `until` (performance.now()) passes; whether they fit. */
  async function room(payloads: number, bytes: number, until: number): Promise<boolean> {
    if (payloads > ring.capacity || bytes > ring.capacityBytes) return false; // never will
    for (;;) {
      const seen = group.wantRoom(); // before fits() reads the ring: a drain after that read wakes this
      try {
        if (fits(payloads, bytes)) return true;
        const left = until - performance.now();
        if (left <= 0 || group.closed) return false;
        await group.waitForRoom(seen, Math.min(left, ROOM_POLL_MS));
      } finally {
        group.roomDone();
      }
    }
  }

  const fsynced = (): Pushed => "ok";
  const notStored = (err: unknown): Pushed => {
    if (err instanceof AckFailed) return "failed";
    throw err;
  };
  /** One try: the ring's wrapping count once in, or -1. */
  const tryPush = (body: Uint8Array, spans: readonly number[], bytes: number, prefix?: Uint8Array) =>
    spoolRoom(bytes) ? ring.push(body, spans, prefix) : -1;
  const answered = (payloads: number, end: number): Pushed | Promise<Pushed> =>
    end === -1 ? "full" : disk ? acks.wait(payloads, end).then(fsynced, notStored) : "ok";

  return {
    hasRoom: () => fits(1, 0),
    whenRoom: (until) => room(1, 0, until),
    push(body, spans, prefix, until = 0) {
      const payloads = spans.length / 2;
      const bytes = ndjsonBytes(spans) + payloads * (prefix?.length ?? 0);
      const end = tryPush(body, spans, bytes, prefix);
      if (end !== -1 || until <= performance.now()) return answered(payloads, end);
      return (async () => {
        for (;;) {
          if (!(await room(payloads, bytes, until))) return "full" as const;
          const again = tryPush(body, spans, bytes, prefix);
          if (again !== -1) return answered(payloads, again);
        }
      })();
    },
    poll: () => {
      if (disk) acks.check();
    },
  };
}
