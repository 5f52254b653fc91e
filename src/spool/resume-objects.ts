// At start-up, what an earlier process recorded of its objects (object-records.ts), applied to
// the segments it left (recovery.ts). Segments of a written object are removed (with
// PARTITION_BY, once every share of them is written; else the written shares are marked, to be
// skipped). Those of an object it was completing come first, each marked with that object, so
// that exactly they are written again under its key; the rest follow, oldest first. A record none
// of whose segments is left is finished: `finishing` resolves once every such one is, and never
// rejects (a record that could not be removed stays, and the next start finishes it again).
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { syncDir } from "./directory.ts";
import type { ObjectRecords } from "./object-records.ts";
import { routesName, type Segment } from "./recovery.ts";

/** The segments to queue, in order, and the finishing of the records left without segments. */
export function resumeObjects(dir: string, segments: Segment[], records: ObjectRecords): { queue: Segment[]; finishing: Promise<void> } {
  const { written, rewrite } = records.recover();
  const left = new Map(segments.map((s) => [s.seq, s]));
  for (const [seq, partitions] of written) {
    const segment = left.get(seq);
    if (!segment) continue;
    if (partitions.has("") || segment.routes?.every((p) => partitions.has(p))) {
      unlinkSync(segment.path);
      if (segment.routes) unlinkSync(join(dir, routesName(seq)));
      left.delete(seq);
    } else {
      segment.shares = { written: partitions, objects: new Map() };
    }
  }
  syncDir(dir);
  records.settle();
  const first = new Set<Segment>();
  const finishing: Promise<void>[] = [];
  for (const { record, segments } of rewrite) {
    const held = segments.flatMap((seq) => left.get(seq) ?? []);
    const object = { record, batches: held.length };
    for (const s of held) {
      if (record.partition) {
        s.shares ??= { written: new Set(), objects: new Map() };
        s.shares.objects.set(record.partition, object);
      } else {
        s.object = object;
      }
      first.add(s);
    }
    if (held.length === 0) finishing.push(records.finished(record));
  }
  return {
    queue: [...first, ...[...left.values()].filter((s) => !first.has(s))],
    finishing: Promise.allSettled(finishing).then(() => {}),
  };
}
