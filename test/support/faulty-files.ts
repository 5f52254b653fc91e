// Segment files that fail on demand, through the spool's createFile hook: an error on write (a
// full disk, EIO), or a write cut short without an error (what a full disk can do).
import { open } from "node:fs/promises";
import type { SegmentFile } from "../../src/spool/spool.ts";

type Fault = (buffers: Uint8Array[], write: (buffers: Uint8Array[]) => Promise<{ bytesWritten: number }>) => Promise<{ bytesWritten: number }>;

export function faultyFiles() {
  let fault: Fault | null = null;
  return {
    createFile: async (path: string): Promise<SegmentFile> => {
      const fh = await open(path, "wx");
      const write = (buffers: Uint8Array[]) => fh.writev(buffers);
      return { writev: (buffers) => (fault ? fault(buffers, write) : write(buffers)), datasync: () => fh.datasync(), close: () => fh.close() };
    },
    /** Every write from now on fails with `error`. */
    failWrites(error: Error): void {
      fault = () => Promise.reject(error);
    },
    /** Every write from now on writes only the first `bytes` bytes, and says so. */
    shortWrites(bytes: number): void {
      fault = (buffers, write) => write([buffers[0]!.subarray(0, bytes)]);
    },
    heal(): void {
      fault = null;
    },
  };
}
