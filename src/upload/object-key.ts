// Object keys: `{prefix}/dt=YYYY-MM-DD/hr=HH/{unix ms}-{instance id}-{sequence}{ext}` in UTC.
// The random instance id makes keys unique across processes and hosts without coordination;
// the sequence makes them unique within a process even inside one millisecond.
export interface KeyParts {
  prefix: string;
  timeMs: number;
  instanceId: string;
  sequence: number;
  extension: string;
}

export function objectKey(p: KeyParts): string {
  const iso = new Date(p.timeMs).toISOString();
  const path = `dt=${iso.slice(0, 10)}/hr=${iso.slice(11, 13)}/${p.timeMs}-${p.instanceId}-${p.sequence}${p.extension}`;
  return p.prefix ? `${p.prefix}/${path}` : path;
}

/**
 * Names successive objects of one process; clock and id are injected for exact tests.
 *
 * @param now @default Date.now
 * @example
 * const next = createKeyNamer("events", "3f2a9c1d00e1b2c4");
 * next(".ndjson.zst"); // "events/dt=2026-11-27/hr=02/1795746000000-3f2a9c1d00e1b2c4-0.ndjson.zst"
 */
export function createKeyNamer(prefix: string, instanceId: string, now: () => number = Date.now) {
  let sequence = 0;
  return (extension: string) => objectKey({ prefix, timeMs: now(), instanceId, sequence: sequence++, extension });
}
export type KeyNamer = ReturnType<typeof createKeyNamer>;
