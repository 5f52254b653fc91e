// The ceiling on this machine: a bare Bun.serve that only reads the body and answers 200. No
// server that does the service's work can be faster, so "vs ceiling" is at most 1. With
// CEILING_THREADS=N it is N such servers on one port (reusePort), the main thread's and N-1
// Workers', as a service of N HTTP threads would be (issue 23); 1 is today's ceiling exactly.
import { isMainThread, parentPort, workerData } from "node:worker_threads";

const serve = (port: number) =>
  Bun.serve({
    hostname: "127.0.0.1",
    port,
    reusePort: true,
    idleTimeout: 75,
    async fetch(req) {
      await req.arrayBuffer();
      return new Response('{"accepted":10}', { headers: { "content-type": "application/json" } });
    },
  });

if (!isMainThread) {
  serve(workerData.port as number);
  parentPort?.postMessage("listening");
} else {
  const threads = Math.max(1, Number(process.env.CEILING_THREADS ?? 1));
  const server = serve(Number(process.env.PORT ?? 0));
  const { Worker } = await import("node:worker_threads");
  const workers = Array.from({ length: threads - 1 }, () => new Worker(import.meta.path, { workerData: { port: server.port } }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));
  console.log(JSON.stringify({ msg: "listening", port: server.port, threads }));
  process.on("SIGTERM", () => {
    server.stop(true);
    process.exit(0);
  });
}
