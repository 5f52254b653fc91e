// Probes taken while wrk holds the service under load: how long a stalled request waits for
// its 408, and how long a SIGTERM waits for the drain to start.
import { connect } from "node:net";
import type { Spawned } from "./processes.ts";

/**
 * Sends a request's headers and the start of its body, then nothing: returns the status the
 * service answers with and the milliseconds it took.
 */
export function stalledRequest(port: number, timeoutMs = 30_000): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let text = "";
    const socket = connect({ host: "127.0.0.1", port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), ms: performance.now() - started });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on("data", (d) => {
      text += d.toString("latin1");
      if (text.includes("\r\n\r\n")) done();
    });
    socket.on("error", done);
    socket.on("connect", () =>
      socket.write('POST /v1/collect HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"ver'),
    );
  });
}

/** Sends SIGTERM; returns the milliseconds until the service logged that it is draining. */
export async function sigtermToDrain(service: Spawned, timeoutMs = 30_000): Promise<number> {
  const sent = performance.now();
  service.proc.kill("SIGTERM");
  for (;;) {
    const line = service.logs.find((l) => l.line.msg === "draining");
    if (line) return line.at - sent;
    if (performance.now() - sent > timeoutMs || service.proc.exitCode !== null) return NaN;
    await Bun.sleep(5);
  }
}
