import { describe, expect, it } from "bun:test";
import { createLogger, errorField } from "../src/log.ts";

function capture(level: "debug" | "info" | "warn" | "error", intervalMs = 10_000) {
  const lines: Record<string, unknown>[] = [];
  let now = Date.parse("2026-11-27T00:00:00.000Z");
  const log = createLogger(
    level,
    (l) => lines.push(JSON.parse(l)),
    intervalMs,
    () => now,
  );
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe("createLogger", () => {
  it("writes one JSON line per entry, with the time, level, message and fields", () => {
    const t = capture("info");
    t.log.info("listening", { port: 8080 });
    expect(t.lines).toEqual([{ time: "2026-11-27T00:00:00.000Z", level: "info", msg: "listening", port: 8080 }]);
  });

  it("leaves out entries below its level", () => {
    const t = capture("warn");
    t.log.debug("d");
    t.log.info("i");
    t.log.warn("w");
    t.log.error("e");
    expect(t.lines.map((l) => l.level)).toEqual(["warn", "error"]);
  });

  it("writes a limited entry once per interval per key, then says how many it held back", () => {
    const t = capture("info", 1_000);
    for (let i = 0; i < 5; i++) t.log.limited("warn", "upload:throttled", "upload failed; retrying");
    t.log.limited("warn", "upload:network", "another key is not held back");
    expect(t.lines).toHaveLength(2);
    t.advance(1_000);
    t.log.limited("warn", "upload:throttled", "upload failed; retrying");
    expect(t.lines.at(-1)).toMatchObject({ msg: "upload failed; retrying", suppressed: 4 });
  });
});

describe("errorField", () => {
  it("rounds an error to its name and message, and anything else to a string", () => {
    expect(errorField(new TypeError("bad"))).toBe("TypeError: bad");
    expect(errorField("plain")).toBe("plain");
  });
});
