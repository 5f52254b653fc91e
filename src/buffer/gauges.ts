// What the buffers hold, for /metrics: one series per buffer type, as Vector reports its
// buffers. The memory buffer is the ring. The disk buffer is its spool plus the ring in front
// of it (collections waiting for their fsync); in memory mode it shows while a spool an earlier
// process left is uploaded.
import { RingSet } from "../queue/ring-set.ts";
import type { SharedState } from "../shared/state.ts";
import type { BufferMemory, BufferType } from "./buffer.ts";
import { SpoolStats } from "./spool-stats.ts";

export interface BufferSeries {
  type: BufferType;
  payloads: number;
  bytes: number;
  capacityBytes: number;
  /** Memory only: MAX_QUEUE_PAYLOADS. */
  capacityPayloads?: number;
  /** Disk only: segment files not uploaded yet. */
  segments?: number;
  /** Disk only: sealed segments no upload loop has taken yet. */
  sealed?: number;
}

/** Reads the buffer's shared memory from any thread. */
export function bufferView(memory: BufferMemory): () => BufferSeries[] {
  const ring = new RingSet(memory.queue);
  const spool = new SpoolStats(memory.stats);
  return () => {
    const series: BufferSeries[] = [];
    const disk = {
      type: "disk" as const,
      payloads: spool.payloads,
      bytes: spool.bytes,
      capacityBytes: memory.spoolMaxBytes,
      segments: spool.segments,
      sealed: spool.sealed,
    };
    if (memory.type === "memory") {
      series.push({ type: "memory", payloads: ring.length, bytes: ring.bytes, capacityBytes: ring.capacityBytes, capacityPayloads: ring.capacity });
      if (spool.segments > 0) series.push(disk);
    } else {
      series.push({ ...disk, payloads: disk.payloads + ring.length, bytes: disk.bytes + ring.bytes });
    }
    return series;
  };
}

/** What all the buffer's series hold together, against their capacity (the status page's one figure). */
export function bufferTotals(series: readonly BufferSeries[]): { payloads: number; bytes: number; capacityBytes: number } {
  let payloads = 0;
  let bytes = 0;
  let capacityBytes = 0;
  for (const s of series) {
    payloads += s.payloads;
    bytes += s.bytes;
    capacityBytes += s.capacityBytes;
  }
  return { payloads, bytes, capacityBytes };
}

/** How long the upload side has made no progress while payloads wait for it; 0 when none waits. */
export function uploadStalledMs(series: readonly BufferSeries[], state: SharedState, now: number): number {
  const waiting = series.reduce((n, s) => n + (s.type === "memory" ? s.payloads : (s.sealed ?? 0)), 0) + state.uploadInFlight;
  return waiting > 0 ? Math.max(0, now - state.uploadProgressAt) : 0;
}
