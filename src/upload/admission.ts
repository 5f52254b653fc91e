// Partition admission (PARTITION_MAX_ACTIVE): which partitions may have an open object. A
// payload's partition is admitted while fewer than `maxActive` are active; past that, payloads
// of further values go to the overflow partition (`{field}=__other__`), counted in /metrics and
// logged once an interval. A partition stays active from its admission until its object is
// being completed.
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";

export interface AdmissionOptions {
  maxActive: number;
  /** The overflow partition: always admitted, never counted. */
  overflow: string;
}

export class Admission {
  private readonly active = new Set<string>();

  constructor(
    private readonly options: AdmissionOptions | undefined,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Where a payload of `partition` goes: its own partition if it is or may become active, else the overflow partition. */
  admit(partition: string): string {
    const { options } = this;
    if (!options || this.active.has(partition) || partition === options.overflow) return partition;
    if (this.active.size < options.maxActive) {
      this.activate(partition);
      return partition;
    }
    this.metrics.partitionOverflow.inc();
    this.log.limited(
      "warn",
      "partition:overflow",
      "PARTITION_MAX_ACTIVE partitions are open: payloads of further values go to the overflow partition",
      {
        max_active: options.maxActive,
        partition,
        overflow: options.overflow,
      },
    );
    return options.overflow;
  }

  /** The partition has an open object (admitted or not: an object an earlier process was completing, say). */
  activate(partition: string): void {
    if (!partition || this.active.has(partition) || partition === this.options?.overflow) return;
    this.active.add(partition);
    this.metrics.activePartitions.add(1);
  }

  /** Its object is being completed: its next payload is admitted anew. */
  deactivate(partition: string): void {
    if (this.active.delete(partition)) this.metrics.activePartitions.add(-1);
  }
}
