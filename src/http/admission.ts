// How the HTTP thread admits a collection: copies its payloads into the shared queue, all or
// none, and says when the client may have its 200. Memory mode: at once. Disk mode: once the
// upload side has fsync'd them to the spool (Acks). Chosen once at start-up.
import type { Acks } from "../queue/acks.ts";
import type { RingBuffer } from "../queue/ring-buffer.ts";
import { FRAME_HEADER_BYTES } from "../spool/frame.ts";

/** "full": nothing was queued, the queue (or the spool) has no room. */
export type Admitted = "ok" | "full";

export interface Admission {
  /** Whether one more payload could fit: checked before the body is read. */
  hasRoom(): boolean;
  /** Queues the payloads at `spans` of `body`, all or none. Disk mode rejects with AckFailed when the spool write fails. */
  admit(body: Uint8Array, spans: readonly number[]): Admitted | Promise<Admitted>;
}

export function memoryAdmission(queue: RingBuffer): Admission {
  return {
    hasRoom: () => queue.fits(1, 0),
    admit: (body, spans) => (queue.push(body, spans) === -1 ? "full" : "ok"),
  };
}

/** `spoolBytes()` is the spool's size on disk, as the upload side last published it. */
export function diskAdmission(queue: RingBuffer, acks: Acks, spoolBytes: () => number, spoolMaxBytes: number): Admission {
  // What the spool will hold once everything queued is written: the queue becomes spool frames.
  const spoolRoom = (bytes: number) => spoolBytes() + queue.bytes + FRAME_HEADER_BYTES + bytes <= spoolMaxBytes;
  return {
    hasRoom: () => queue.fits(1, 0) && spoolRoom(0),
    admit(body, spans) {
      let bytes = spans.length / 2;
      for (let i = 0; i < spans.length; i += 2) bytes += spans[i + 1]! - spans[i]!;
      if (!spoolRoom(bytes)) return "full";
      const end = queue.push(body, spans);
      if (end === -1) return "full";
      return acks.wait(spans.length / 2, end).then(() => "ok" as const);
    },
  };
}
