// Object keys, in UTC: `{prefix}/[{field}={value}/]dt=YYYY-MM-DD[/hr=HH]/{unix ms}-{instance id}-{sequence}{ext}`.
// The partition (PARTITION_BY) comes first and the hour is left out with TIME_PARTITION=day, so
// that Hive-style readers (Athena, DuckDB, Spark) see each `name=value` level as a column. The
// random instance id makes keys unique across processes and hosts without coordination; the
// sequence makes them unique within a process even inside one millisecond.
export type TimePartition = "hour" | "day";

export interface KeyParts {
  prefix: string;
  /** `field=value`, already made safe (partitions.ts); empty or absent for none. */
  partition?: string;
  /** @default "hour" */
  timePartition?: TimePartition;
  timeMs: number;
  instanceId: string;
  sequence: number;
  extension: string;
}

export function objectKey(p: KeyParts): string {
  const iso = new Date(p.timeMs).toISOString();
  const time = p.timePartition === "day" ? `dt=${iso.slice(0, 10)}` : `dt=${iso.slice(0, 10)}/hr=${iso.slice(11, 13)}`;
  return [p.prefix, p.partition, time, `${p.timeMs}-${p.instanceId}-${p.sequence}${p.extension}`].filter(Boolean).join("/");
}

/**
 * Names successive objects of one process; clock and id are injected for exact tests.
 *
 * @param now @default Date.now
 * @example
 * const next = createKeyNamer("events", "3f2a9c1d00e1b2c4");
 * next(".ndjson.zst");                // "events/dt=2026-11-27/hr=02/1795746000000-3f2a9c1d00e1b2c4-0.ndjson.zst"
 * next(".ndjson.zst", "event=boot");  // "events/event=boot/dt=2026-11-27/hr=02/1795746000000-3f2a9c1d00e1b2c4-1.ndjson.zst"
 */
export function createKeyNamer(prefix: string, instanceId: string, now: () => number = Date.now, timePartition: TimePartition = "hour") {
  let sequence = 0;
  return (extension: string, partition = "") =>
    objectKey({ prefix, partition, timePartition, timeMs: now(), instanceId, sequence: sequence++, extension });
}
export type KeyNamer = ReturnType<typeof createKeyNamer>;
