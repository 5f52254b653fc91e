import { describe, expect, it } from "bun:test";
import { newInstanceId } from "../../src/shared/instance-id.ts";
import { createKeyNamer, objectKey } from "../../src/upload/object-key.ts";

describe("objectKey", () => {
  it("lays a key out as prefix/dt=/hr=/ms-instance-sequence.ext in UTC", () => {
    const timeMs = Date.UTC(2026, 10, 26, 7, 5, 9, 123);
    expect(objectKey({ prefix: "events", timeMs, instanceId: "00ff00ff00ff00ff", sequence: 42, extension: ".ndjson.gz" })).toBe(
      `events/dt=2026-11-26/hr=07/${timeMs}-00ff00ff00ff00ff-42.ndjson.gz`,
    );
  });

  it("omits the prefix when it is empty", () => {
    expect(objectKey({ prefix: "", timeMs: 0, instanceId: "a", sequence: 0, extension: ".json" })).toBe("dt=1970-01-01/hr=00/0-a-0.json");
  });

  it("uses the UTC date even when the local date differs", () => {
    const timeMs = Date.UTC(2026, 0, 1, 23, 59, 59, 999);
    expect(objectKey({ prefix: "p", timeMs, instanceId: "i", sequence: 1, extension: ".x" })).toBe(`p/dt=2026-01-01/hr=23/${timeMs}-i-1.x`);
  });
});

describe("createKeyNamer", () => {
  it("gives successive objects in the same millisecond different keys", () => {
    const name = createKeyNamer("events", "abc", () => 1_000);
    expect([name(".json"), name(".json"), name(".ndjson")]).toEqual([
      "events/dt=1970-01-01/hr=00/1000-abc-0.json",
      "events/dt=1970-01-01/hr=00/1000-abc-1.json",
      "events/dt=1970-01-01/hr=00/1000-abc-2.ndjson",
    ]);
  });

  it("keeps two processes apart at the same instant through their instance ids", () => {
    const a = createKeyNamer("e", newInstanceId(), () => 5);
    const b = createKeyNamer("e", newInstanceId(), () => 5);
    expect(a(".json")).not.toBe(b(".json"));
  });
});

describe("newInstanceId", () => {
  it("renders 64 random bits as 16 hex digits", () => {
    expect(newInstanceId((b) => b.fill(0xab))).toBe("abababababababab");
    expect(newInstanceId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
