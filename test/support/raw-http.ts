// Raw HTTP over a TCP socket, for requests no HTTP client would send: short or missing Host
// headers, lying Content-Length, trickled bytes, stalled bodies. (node:net queues what the
// kernel cannot take yet, so large bodies go out whole.)
import { connect } from "node:net";

export interface RawResult {
  /** The status line's code, or 0 when the server answered nothing. */
  status: number;
  text: string;
  closed: boolean;
  ms: number;
}

/**
 * Writes `parts` (a number is a pause in ms), then waits up to `waitMs` for an answer or a close;
 * with `untilClosed`, for the close even after a whole answer (a server closes just after it answers).
 */
export async function rawRequest(
  port: number,
  parts: (string | Uint8Array | number)[],
  waitMs = 5_000,
  { untilClosed = false } = {},
): Promise<RawResult> {
  const started = performance.now();
  let text = "";
  let closed = false;
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("data", (d) => {
    text += d.toString("latin1");
  });
  const onClose = () => {
    closed = true;
  };
  socket.on("close", onClose);
  socket.on("error", onClose);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()).once("error", () => resolve()));
  for (const part of parts) {
    if (typeof part === "number") await Bun.sleep(part);
    else if (!closed) socket.write(part);
  }
  const until = performance.now() + waitMs;
  const answered = () => {
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return false;
    const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
    return text.length >= end + 4 + length;
  };
  while (!closed && (untilClosed || !answered()) && performance.now() < until) await Bun.sleep(10);
  socket.destroy();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, text, closed, ms: performance.now() - started };
}

export const postRequest = (body: string | Uint8Array, headers: Record<string, string> = {}, host = "localhost") => {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const head = Object.entries({ host, "content-type": "application/json", "content-length": String(bytes.length), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return [new TextEncoder().encode(`POST /v1/collect HTTP/1.1\r\n${head}\r\n`), bytes];
};
