import { describe, expect, it } from "bun:test";
import type { BufferMemory } from "../../src/buffer/buffer.ts";
import { SpoolStats } from "../../src/buffer/spool-stats.ts";
import { serviceGauges } from "../../src/http/gauges.ts";
import { createMetrics, renderMetrics } from "../../src/metrics.ts";
import { Acks } from "../../src/queue/acks.ts";
import { RingSet } from "../../src/queue/ring-set.ts";
import { SharedState } from "../../src/shared/state.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function setup(type: "memory" | "disk") {
  const ring = new RingSet(1, 100, 1_000);
  const spool = new SpoolStats();
  const memory: BufferMemory = { type, queue: ring.memory, acks: [new Acks().memory], stats: spool.memory, spoolMaxBytes: 1 << 20 };
  const state = new SharedState();
  let now = 1_000_000;
  const gauges = serviceGauges(memory, state, 50, () => now);
  const scrape = () => renderMetrics(createMetrics(), gauges);
  const value = (series: string) =>
    scrape()
      .split("\n")
      .find((l) => l.startsWith(`${series} `))
      ?.split(" ")[1];
  return { ring, spool, state, scrape, value, advance: (ms: number) => (now += ms), now: () => now };
}

describe("serviceGauges", () => {
  it("reports the memory buffer by its type: payloads, bytes and capacities", () => {
    const t = setup("memory");
    t.ring.rings[0]!.tryPush(enc('[{"a":1}]'), [1, 8]);
    expect(t.value('s3_ingest_buffer_payloads{buffer_type="memory"}')).toBe("1");
    expect(t.value('s3_ingest_buffer_bytes{buffer_type="memory"}')).toBe("8");
    expect(t.value('s3_ingest_buffer_capacity_payloads{buffer_type="memory"}')).toBe("100");
    expect(t.value('s3_ingest_buffer_capacity_bytes{buffer_type="memory"}')).toBe("1000");
    expect(t.scrape()).not.toContain('buffer_type="disk"');
    // A spool an earlier process left, being uploaded: shown as a disk buffer beside it.
    t.spool.publish({ bytes: 500, segments: 2, sealed: 1, payloads: 40 });
    expect(t.value('s3_ingest_buffer_payloads{buffer_type="disk"}')).toBe("40");
    expect(t.value('s3_ingest_buffer_segments{buffer_type="disk"}')).toBe("2");
  });

  it("reports the disk buffer as its spool plus what waits for its fsync", () => {
    const t = setup("disk");
    t.spool.publish({ bytes: 500, segments: 2, sealed: 1, payloads: 40 });
    t.ring.rings[0]!.tryPush(enc('[{"a":1}]'), [1, 8]);
    expect(t.value('s3_ingest_buffer_payloads{buffer_type="disk"}')).toBe("41");
    expect(t.value('s3_ingest_buffer_bytes{buffer_type="disk"}')).toBe("508");
    expect(t.value('s3_ingest_buffer_capacity_bytes{buffer_type="disk"}')).toBe(String(1 << 20));
    expect(t.scrape()).not.toContain('buffer_type="memory"');
  });

  it("reports the upload side stalled only while payloads wait and nothing is written", () => {
    const t = setup("memory");
    t.state.uploadProgressAt = t.now();
    t.advance(60_000);
    expect(t.value("s3_ingest_upload_stalled_seconds")).toBe("0"); // nothing waits
    t.ring.rings[0]!.tryPush(enc('[{"a":1}]'), [1, 8]);
    expect(t.value("s3_ingest_upload_stalled_seconds")).toBe("60");
  });

  it("reports how late the HTTP thread's periodic timer is", () => {
    const t = setup("memory");
    t.state.httpTicked(0, t.now() - 2_050);
    expect(t.value("s3_ingest_http_event_loop_delay_seconds")).toBe("2");
  });
});
