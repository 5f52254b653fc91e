// Back-pressure: what bounds the memory of the objects being built. Appends wait while `loops`
// objects are being completed, or while the encoded bytes not yet in the store pass one part per
// loop plus the one being filled, so a store that is down pushes back on the buffer whatever the
// object's age bound closes. And many partitions' objects, each short of a part, must not hold a
// part's worth each: past PARTITION_BUFFER_BYTES of frames the largest ships a part, or is
// completed if it has less.
import type { OpenObject } from "./open-object.ts";

export interface BoundsOptions {
  /** The upload loops. */
  loops: number;
  /** OBJECT_PART_BYTES. */
  partBytes: number;
  /** PARTITION_BUFFER_BYTES: frames all open objects may hold. @default one part per loop, plus one */
  bufferBytes?: number;
}

export interface BoundedObjects {
  /** The objects taking batches. */
  readonly open: ReadonlyMap<string, OpenObject>;
  /** Every object not complete yet, the open ones included. */
  readonly unfinished: ReadonlySet<OpenObject>;
  shipPart(object: OpenObject): Promise<void>;
  complete(object: OpenObject): Promise<void>;
  /** Whether the shutdown deadline stopped the writer: nothing is in flight any more. */
  stopped(): boolean;
}

export class Bounds {
  constructor(
    private readonly options: BoundsOptions,
    private readonly objects: BoundedObjects,
  ) {}

  /** Past the frames the open objects may hold, the one holding most ships a part, or is completed if it has less. */
  makeRoom(): void {
    const { open } = this.objects;
    if (open.size < 2) return;
    const limit = this.options.bufferBytes ?? (this.options.loops + 1) * this.options.partBytes;
    let held = 0;
    for (const o of open.values()) held += o.frameBytes;
    while (held > limit) {
      let largest: OpenObject | null = null;
      for (const o of open.values()) if (!largest || o.frameBytes > largest.frameBytes) largest = o;
      if (!largest || largest.frameBytes === 0) return;
      held -= largest.frameBytes;
      if (largest.frameBytes >= this.options.partBytes) void this.objects.shipPart(largest);
      else void this.objects.complete(largest);
    }
  }

  /** Waits while too many objects are being completed, or too many encoded bytes are not in the store yet. */
  async withinBounds(): Promise<void> {
    const { loops, partBytes } = this.options;
    const limit = (loops + 1) * partBytes;
    for (;;) {
      let completing = 0;
      let unstored = 0;
      for (const o of this.objects.unfinished) {
        unstored += o.frameBytes;
        for (const part of o.shipping.values()) unstored += part.body.length;
        if (o.done) completing++;
      }
      const busy = this.inFlight();
      if ((completing < loops && unstored <= limit) || busy.length === 0) return;
      await Promise.race(busy);
    }
  }

  /** The work under way: each object's completion, or else its stages encoding and its parts uploading. None once stopped. */
  inFlight(): Promise<void>[] {
    if (this.objects.stopped()) return [];
    return [...this.objects.unfinished].flatMap((o) =>
      o.done ? [o.done] : [...[...o.compressing].map((c) => c.done), ...[...o.shipping.values()].map((part) => part.upload)],
    );
  }
}
