// The few things that differ between Bun and Deno, behind one seam: the listening socket,
// signal handlers and zstd. Everything else (Elysia, node:zlib, node:fs, the AWS SDK) runs on both.

import { promisify } from "node:util";
import { constants, zstdCompress as nodeZstd, zstdCompressSync as nodeZstdSync } from "node:zlib";

declare const Deno: {
  serve(
    options: { hostname: string; port: number; reusePort?: boolean; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
  addSignalListener(signal: string, handler: () => void): void;
};

export const runtimeName: "bun" | "deno" = typeof Bun !== "undefined" ? "bun" : "deno";

export interface ServeOptions {
  hostname: string;
  port: number;
  idleTimeoutSecs: number;
  /** Several listening sockets on one port (SO_REUSEPORT), among which the kernel spreads connections; Deno needs --unstable-net. */
  reusePort?: boolean;
  fetch: (request: Request) => Promise<Response>;
}

export interface Server {
  readonly port: number;
  stop(): Promise<void>;
}

export function serve(o: ServeOptions): Server {
  if (runtimeName === "bun") {
    const server = Bun.serve({ hostname: o.hostname, port: o.port, idleTimeout: o.idleTimeoutSecs, reusePort: o.reusePort ?? false, fetch: o.fetch });
    return { port: server.port!, stop: () => server.stop(true) };
  }
  // Deno.serve has no idle timeout setting; its own keep-alive handling applies.
  const server = Deno.serve({ hostname: o.hostname, port: o.port, reusePort: o.reusePort ?? false, onListen: () => {} }, o.fetch);
  return { port: server.addr.port, stop: () => server.shutdown() };
}

export function onSignal(signal: "SIGTERM" | "SIGINT" | "SIGHUP", handler: () => void): void {
  if (runtimeName === "bun") process.on(signal, handler);
  else Deno.addSignalListener(signal, handler);
}

/**
 * A synchronous collection of young objects (JavaScriptCore's eden GC) on this thread; nothing on
 * Deno, whose collector keeps up by itself here. See http/garbage.ts for why the HTTP thread calls it.
 */
export const collectYoungGarbage: () => void = runtimeName === "bun" ? (require("bun:jsc") as typeof import("bun:jsc")).edenGC : () => {};

/** A full, synchronous collection on this thread (Bun); nothing on Deno. For threads that make garbage in large batches. */
export const collectAllGarbage: () => void = runtimeName === "bun" ? () => Bun.gc(true) : () => {};

const nodeZstdAsync = promisify(nodeZstd);

/** zstd off the event loop: Bun's native binding (twice as fast here), else node:zlib's. */
export async function zstdCompress(data: Uint8Array, level: number): Promise<Uint8Array> {
  if (runtimeName === "bun") return Bun.zstdCompress(data, { level });
  return new Uint8Array(await nodeZstdAsync(data, { params: { [constants.ZSTD_c_compressionLevel]: level } }));
}

/** zstd on this thread, for encoders that compress page by page (Parquet). */
export function zstdCompressSync(data: Uint8Array, level: number): Uint8Array {
  if (runtimeName === "bun") return Bun.zstdCompressSync(data, { level });
  return new Uint8Array(nodeZstdSync(data, { params: { [constants.ZSTD_c_compressionLevel]: level } }));
}
