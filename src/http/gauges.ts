// The gauges /metrics shows, read from memory both threads share, so they tell the truth
// whichever thread renders them and however busy the HTTP thread is.
import type { BufferMemory } from "../buffer/buffer.ts";
import { bufferView, uploadStalledMs } from "../buffer/gauges.ts";
import { Gauge, GaugeFamily } from "../metrics.ts";
import { RingSet } from "../queue/ring-set.ts";
import { runtimeName } from "../runtime.ts";
import type { SharedState } from "../shared/state.ts";
import { VERSION } from "../version.ts";

/** `tickMs`: the HTTP thread's housekeeping period, which its event-loop delay is measured against. */
export function serviceGauges(buffer: BufferMemory, state: SharedState, tickMs: number, now: () => number = Date.now) {
  const view = bufferView(buffer);
  const rooms = new RingSet(buffer.queue).group;
  const family = (name: string, help: string, pick: (s: ReturnType<typeof view>[number]) => number | undefined) =>
    new GaugeFamily(name, help, "buffer_type", () =>
      view().flatMap((s) => {
        const v = pick(s);
        return v === undefined ? [] : [[s.type, v] as [string, number]];
      }),
    );
  return [
    family("s3_ingest_buffer_payloads", "Payloads in the buffer (disk: in the spool, or waiting for their fsync).", (s) => s.payloads),
    family("s3_ingest_buffer_bytes", "Bytes the buffer holds.", (s) => s.bytes),
    family("s3_ingest_buffer_capacity_bytes", "MAX_QUEUE_BYTES (memory) or SPOOL_MAX_BYTES (disk).", (s) => s.capacityBytes),
    family("s3_ingest_buffer_capacity_payloads", "MAX_QUEUE_PAYLOADS (memory).", (s) => s.capacityPayloads),
    family("s3_ingest_buffer_segments", "Spool segments not uploaded yet (disk).", (s) => s.segments),
    new Gauge(
      "s3_ingest_requests_waiting_for_room",
      "Requests held at a full buffer (QUEUE_FULL_WAIT_MS), every HTTP thread's: back-pressure before a 503.",
      () => rooms.waitingForRoom,
    ),
    new Gauge(
      "s3_ingest_upload_in_flight_payloads",
      "Payloads taken from the buffer and not yet in a completed object, except those resting in an open object.",
      () => state.uploadInFlight,
    ),
    new Gauge(
      "s3_ingest_upload_stalled_seconds",
      "Seconds since the upload side last wrote an object while payloads were waiting; 0 when nothing waits.",
      () => uploadStalledMs(view(), state, now()) / 1000,
    ),
    // The process, in the names every Prometheus client library uses.
    new Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage().rss),
    new Gauge(
      "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.",
      () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      },
      { type: "counter" },
    ),
    new Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => state.processStartedAt / 1000),
    new Gauge("s3_ingest_build_info", "Always 1; the version and runtime are its labels.", () => 1, {
      labels: { version: VERSION, runtime: runtimeName },
    }),
    new Gauge(
      "s3_ingest_http_event_loop_delay_seconds",
      "How late the HTTP thread's timers run: the time since its periodic timer last ran, past its period.",
      () => state.httpLoopDelayMs(now(), tickMs) / 1000,
    ),
  ];
}
