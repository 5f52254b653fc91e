// The spool's size in shared memory: the upload side publishes it whenever it changes, the HTTP
// thread reads it (disk mode refuses collections past SPOOL_MAX_BYTES) and /metrics shows it.
import { Words } from "../shared/words.ts";
import type { SpoolSize } from "../spool/spool.ts";

const BYTES = 0;
const SEGMENTS = 1;
const SEALED = 2;
const PAYLOADS = 3;

export class SpoolStats {
  private readonly words: Words;

  constructor(memory?: SharedArrayBuffer) {
    this.words = new Words(4, memory);
  }

  get memory(): SharedArrayBuffer {
    return this.words.memory;
  }

  publish(size: SpoolSize): void {
    this.words.set(BYTES, size.bytes);
    this.words.set(SEGMENTS, size.segments);
    this.words.set(SEALED, size.sealed);
    this.words.set(PAYLOADS, size.payloads);
  }

  get bytes(): number {
    return this.words.get(BYTES);
  }
  get segments(): number {
    return this.words.get(SEGMENTS);
  }
  get sealed(): number {
    return this.words.get(SEALED);
  }
  get payloads(): number {
    return this.words.get(PAYLOADS);
  }
}
