// The HTTP thread's side of the buffer: copies a collection's payloads into the shared ring, all
// or none, and says when the client may have its 200. Memory: at once. Disk: once the upload
// side has fsync'd them to the spool (queue/acks.ts). Built once, from the buffer's memory.
import { AckFailed, Acks } from "../queue/acks.ts";
import { RingBuffer } from "../queue/ring-buffer.ts";
import { ndjsonBytes } from "../queue/spans.ts";
import { FRAME_HEADER_BYTES } from "../spool/frame.ts";
import type { BufferMemory, BufferWriter, Pushed } from "./buffer.ts";
import { SpoolStats } from "./spool-stats.ts";

/**
 * The writer for the buffer whose memory this is (the HTTP thread's own views of it).
 *
 * @example
 * const writer = createBufferWriter(memory.buffer);
 * const pushed = await writer.push(body, spans); // "ok", "full" or "failed"
 */
export function createBufferWriter(memory: BufferMemory): BufferWriter {
  const ring = RingBuffer.attach(memory.ring);
  if (memory.type === "memory") {
    return {
      hasRoom: () => ring.fits(1, 0),
      push: (body, spans, prefix) => (ring.push(body, spans, prefix) === -1 ? "full" : "ok"),
      poll: () => {},
    };
  }
  const acks = new Acks(memory.acks);
  const spool = new SpoolStats(memory.stats);
  // What the spool will hold once everything queued is written: the ring becomes spool frames.
  const spoolRoom = (bytes: number) => spool.bytes + ring.bytes + FRAME_HEADER_BYTES + bytes <= memory.spoolMaxBytes;
  const fsynced = (): Pushed => "ok";
  const notStored = (err: unknown): Pushed => {
    if (err instanceof AckFailed) return "failed";
    throw err;
  };
  return {
    hasRoom: () => ring.fits(1, 0) && spoolRoom(0),
    push(body, spans, prefix) {
      if (!spoolRoom(ndjsonBytes(spans) + (spans.length / 2) * (prefix?.length ?? 0))) return "full";
      const end = ring.push(body, spans, prefix);
      if (end === -1) return "full";
      return acks.wait(spans.length / 2, end).then(fsynced, notStored);
    },
    poll: () => acks.check(),
  };
}
