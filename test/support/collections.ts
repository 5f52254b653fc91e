// Request bodies for tests: collections of payloads that carry unique ids, so what lands in
// the store can be matched exactly against what was acknowledged.
export interface Payload {
  id: string;
  [field: string]: unknown;
}

export function payload(id: string): Payload {
  return { id, ts: 1_700_000_000_000, kind: "heartbeat", os: "windows-10", nested: { ok: true, n: [1, 2.5, -3e-7] } };
}

export function collection(ids: string[], token = "client-token"): string {
  return JSON.stringify({ version: "1.0", token, data: ids.map(payload) });
}

export const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

export const idOf = (line: string) => (JSON.parse(line) as Payload).id;
