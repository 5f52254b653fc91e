// Everything the HTTP thread and the upload side share, as the buffers the main thread allocates
// and hands to the HTTP thread when it starts it.
import type { RingMemory } from "../queue/ring-buffer.ts";

export interface SharedMemory {
  queue: RingMemory;
  state: SharedArrayBuffer;
  health: SharedArrayBuffer;
  metrics: SharedArrayBuffer;
  acks: SharedArrayBuffer;
}
