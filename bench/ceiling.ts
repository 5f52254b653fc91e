// The ceiling on this machine: a bare Bun.serve that only parses the JSON body and answers 200.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(req) {
    const body = (await req.json()) as { data?: unknown[] };
    return Response.json({ accepted: body.data?.length ?? 0 });
  },
});
console.log(JSON.stringify({ msg: "listening", port: server.port }));
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
