// Load for end-to-end tests: collections of payloads with unique ids, posted with bounded
// concurrency, and the check that every acknowledged id landed once.
import { expect } from "bun:test";
import { collection, ids } from "./collections.ts";

/** Anything that takes a collection: a service process, or a load balancer in front of several. */
export interface Poster {
  post(body: string): Promise<Response>;
}

/** Posts collections `concurrency` at a time; returns the ids of the payloads acknowledged with 200. */
export async function postAll(service: Poster, bodies: { ids: string[]; body: string }[], concurrency = 16, progress = { answered: 0 }) {
  const acknowledged: string[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const { ids, body } = bodies[next++]!;
        const res = await service.post(body).catch(() => null);
        const status = res?.status ?? 0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        progress.answered++;
        await res?.arrayBuffer();
        if (status === 200) acknowledged.push(...ids);
      }
    }),
  );
  return { acknowledged, statuses };
}

/**
 * Posts collections of `per` payloads, `concurrency` at a time, until one is answered `status`:
 * the test drives the service into the state it checks (a full buffer answers 503) instead of
 * hoping a fixed load gets it there. Fails after `max` collections without it. Returns the ids
 * acknowledged with 200, those of the posts in flight when it came included.
 */
export async function postUntilStatus(service: Poster, prefix: string, per: number, status: number, { max = 50_000, concurrency = 16 } = {}) {
  const acknowledged: string[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!statuses[status] && next < max) {
        const batch = ids(`${prefix}-${next++}`, per);
        const res = await service.post(collection(batch)).catch(() => null);
        const got = res?.status ?? 0;
        statuses[got] = (statuses[got] ?? 0) + 1;
        await res?.arrayBuffer();
        if (got === 200) acknowledged.push(...batch);
      }
    }),
  );
  if (!statuses[status]) throw new Error(`no ${status} in ${max} collections of ${per} payloads: ${JSON.stringify(statuses)}`);
  return { acknowledged, statuses };
}

export const collections = (prefix: string, n: number, per: number) =>
  Array.from({ length: n }, (_, i) => {
    const batch = ids(`${prefix}-${i}`, per);
    return { ids: batch, body: collection(batch) };
  });

/** 2^53 + 1: a reader that goes through a double prints ...992. */
export const BIG = "9007199254740993";

/** Collections whose payloads carry 512 hex digits of noise: they compress only about 2 to 1, so 36 MB posted make about 18 MiB of objects. */
export function noisyCollections(prefix: string, n: number, per: number) {
  return Array.from({ length: n }, (_, i) => {
    const ids = Array.from({ length: per }, (_, j) => `${prefix}-${i}-${j}`);
    const data = ids.map((id) => `{"id":"${id}","big":${BIG},"noise":"${Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString("hex")}"}`);
    return { ids, body: `{"version":"1.0","token":"t","data":[${data.join(",")}]}` };
  });
}

export interface DeliveryReport {
  acknowledged: number;
  landed: number;
  missing: number;
  duplicates: number;
}

/** What a fault scenario reports: of the acknowledged ids, how many landed, are missing, or landed twice. */
export function deliveryReport(landed: string[], acknowledged: string[]): DeliveryReport {
  const seen = new Map<string, number>();
  for (const id of landed) seen.set(id, (seen.get(id) ?? 0) + 1);
  let duplicates = 0;
  for (const n of seen.values()) duplicates += n - 1;
  return { acknowledged: acknowledged.length, landed: landed.length, missing: acknowledged.filter((id) => !seen.has(id)).length, duplicates };
}

/** Every acknowledged id landed exactly once, and nothing else landed. */
export function expectExactly(landed: string[], acknowledged: string[]) {
  expect(deliveryReport(landed, acknowledged)).toEqual({ acknowledged: acknowledged.length, landed: acknowledged.length, missing: 0, duplicates: 0 });
}
