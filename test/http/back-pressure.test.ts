// QUEUE_FULL_WAIT_MS: a request that finds the queue full waits for room, its body unread, and
// is answered 503 only once the wait is over; room freed meanwhile lets it through.
import { describe, expect, it } from "bun:test";
import { testService } from "../support/app.ts";
import { collection, ids } from "../support/collections.ts";
import { waitUntil } from "../support/wait.ts";

/** A body that says when it is first read. */
function watchedBody(text: string) {
  let read = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        read = true;
        c.enqueue(new TextEncoder().encode(text));
        c.close();
      },
    },
    { highWaterMark: 0 }, // pulled only when read
  );
  return { stream, read: () => read };
}

describe("back-pressure (QUEUE_FULL_WAIT_MS)", () => {
  it("holds a request at a full queue, its body unread, and answers 200 once the upload side frees room", async () => {
    const t = testService({ MAX_QUEUE_PAYLOADS: "2", QUEUE_FULL_WAIT_MS: "60000" });
    expect((await t.post(collection(ids("a", 2)))).status).toBe(200);
    const body = watchedBody(collection(["b"]));
    let status = 0;
    const answered = t.post(body.stream).then((res) => (status = res.status));
    await waitUntil(() => t.ring.group.waitingForRoom === 1, "the request to wait for room");
    expect(status).toBe(0);
    expect(body.read()).toBe(false); // no room: the body stays in the socket
    expect(await (await t.request("/metrics")).text()).toContain("\ns3_ingest_requests_waiting_for_room 1\n");
    expect(t.ring.drain(1, 1 << 20).payloads).toBe(1); // the upload side takes one
    await answered;
    expect(status).toBe(200);
    expect(body.read()).toBe(true);
    expect(await (await t.request("/metrics")).text()).toContain("\ns3_ingest_requests_waiting_for_room 0\n");
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["a-1", "b"]);
  });

  it("holds a collection that fits only once the queue has room for all of it, then queues it whole", async () => {
    const t = testService({ MAX_QUEUE_PAYLOADS: "5", QUEUE_FULL_WAIT_MS: "60000" });
    expect((await t.post(collection(ids("a", 3)))).status).toBe(200);
    let status = 0;
    const answered = t.post(collection(ids("b", 3))).then((res) => (status = res.status)); // 2 left of 5: it reads its body, then waits
    await waitUntil(() => t.ring.group.waitingForRoom === 1, "the request to wait for room");
    expect(status).toBe(0);
    expect(t.ring.drain(1, 1 << 20).payloads).toBe(1); // 3 left: room for all of it
    await answered;
    expect(status).toBe(200);
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["a-1", "a-2", "b-0", "b-1", "b-2"]);
  });

  it("answers 503 QUEUE_FULL once QUEUE_FULL_WAIT_MS passes with no room, and queues nothing of it", async () => {
    const t = testService({ MAX_QUEUE_PAYLOADS: "5", QUEUE_FULL_WAIT_MS: "150" });
    expect((await t.post(collection(ids("a", 3)))).status).toBe(200);
    const refused = async (payloads: number) => {
      const started = performance.now();
      const res = await t.post(collection(ids("b", payloads)));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toBe("QUEUE_FULL");
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    };
    await refused(3); // 2 left: it does not fit, after its body is read
    expect((await t.post(collection(ids("c", 2)))).status).toBe(200);
    await refused(1); // full: refused before its body is read
    expect(t.queued().map((l) => JSON.parse(l).id)).toEqual(["a-0", "a-1", "a-2", "c-0", "c-1"]);
  });
});
