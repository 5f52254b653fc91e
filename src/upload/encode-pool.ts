// Encoding off the main thread (FORMAT=parquet, which costs about 8 µs a payload against
// NDJSON's 0.4: BENCHMARKS.md). A fixed pool of Workers (encode-worker.ts), each with the same
// format; a batch goes to the thread with the fewest batches under way, copied there, and its
// frame comes back. The main thread's event loop, which runs the store calls, their retries and
// the shutdown deadline, then never waits behind an encoding. A thread that fails is replaced; a
// batch it held is rejected, and the uploader writes that batch as plain NDJSON instead.
import type { Batch } from "../queue/batch.ts";
import type { EncodeReply, EncodeRequest } from "./encode-worker.ts";
import type { Frame, ObjectFormat } from "./format.ts";
import type { FormatConfig } from "./formats.ts";

interface EncodeThread {
  worker: Worker;
  pending: Map<number, { resolve(frame: Frame): void; reject(err: Error): void }>;
}

/**
 * The format whose encode() runs in `threads` Workers; everything else stays `format`'s own.
 * @param newWorker makes one encoding thread (a Worker of encode-worker.ts)
 * @param onMismatch told each value that did not fit its column, by the column's name
 */
export function pooledFormat(
  format: ObjectFormat,
  config: FormatConfig,
  threads: number,
  newWorker: () => Worker,
  onMismatch?: (column: string) => void,
): ObjectFormat & { close(): Promise<void> } {
  let next = 0;
  let closed = false;
  const start = (): EncodeThread => {
    const thread: EncodeThread = { worker: newWorker(), pending: new Map() };
    thread.worker.onmessage = ({ data }: MessageEvent<EncodeReply>) => {
      const waiting = thread.pending.get(data.id);
      if (!waiting) return;
      thread.pending.delete(data.id);
      if ("error" in data) return waiting.reject(new Error(`encoding thread: ${data.error}`));
      for (const column of data.mismatches) onMismatch?.(column);
      waiting.resolve({ body: data.body, format: pooled, ...(data.meta !== undefined && { meta: data.meta }) });
    };
    thread.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      const err = new Error(`encoding thread failed: ${event.message}`);
      for (const waiting of thread.pending.values()) waiting.reject(err);
      thread.pending.clear();
      void thread.worker.terminate();
      if (!closed) pool[pool.indexOf(thread)] = start();
    };
    (thread.worker as Worker & { unref?: () => void }).unref?.();
    thread.worker.postMessage({ type: "init", config } satisfies EncodeRequest);
    return thread;
  };
  const pool = Array.from({ length: Math.max(1, threads) }, start);

  const pooled: ObjectFormat & { close(): Promise<void> } = {
    ...format,
    encode(batch: Batch): Promise<Frame> {
      if (closed) return Promise.reject(new Error("the encoding threads are closed"));
      let thread = pool[0]!;
      for (const t of pool) if (t.pending.size < thread.pending.size) thread = t;
      const id = next++;
      return new Promise<Frame>((resolve, reject) => {
        thread.pending.set(id, { resolve, reject });
        // A copy: the batch lies in the upload loop's reusable buffer.
        const copy = { ndjson: batch.ndjson.slice(), payloads: batch.payloads };
        thread.worker.postMessage({ type: "encode", id, batch: copy } satisfies EncodeRequest, [copy.ndjson.buffer]);
      });
    },
    async close() {
      closed = true;
      await Promise.all(pool.map((t) => t.worker.terminate()));
    },
  };
  return pooled;
}
