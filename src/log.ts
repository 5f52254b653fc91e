// JSON-lines logger on stdout. ERROR means data may be lost or the service cannot do its job;
// `limited` keeps a failure that repeats every few milliseconds down to one line per interval.
export type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Logs at most once per `intervalMs` for `key`, reporting how many lines were suppressed. */
  limited(level: Level, key: string, msg: string, fields?: Record<string, unknown>): void;
}

/**
 * @param write where lines go. @default process.stdout.write
 * @param intervalMs `limited`'s interval per key. @default 10_000
 * @example
 * const log = createLogger("info");
 * log.limited("warn", "upload:throttled", "upload failed; retrying", { error_type: "throttled" });
 */
export function createLogger(
  level: Level,
  write: (line: string) => void = (line) => process.stdout.write(line),
  intervalMs = 10_000,
  now: () => number = Date.now,
): Logger {
  const min = RANK[level];
  const lastAt = new Map<string, { at: number; suppressed: number }>();
  const log = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    write(`${JSON.stringify({ time: new Date(now()).toISOString(), level: lvl, msg, ...fields })}\n`);
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    limited(lvl, key, msg, fields) {
      const t = now();
      const seen = lastAt.get(key);
      if (seen && t - seen.at < intervalMs) {
        seen.suppressed++;
        return;
      }
      lastAt.set(key, { at: t, suppressed: 0 });
      log(lvl, msg, seen?.suppressed ? { ...fields, suppressed: seen.suppressed } : fields);
    },
  };
}

/** Rounds an error to a log field without stack noise. */
export const errorField = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
