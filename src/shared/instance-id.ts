// Instance ids name a process's objects (and a spool's, across restarts): 64 random bits as 16
// hex digits, so keys from different processes and hosts never collide without coordination.
export function newInstanceId(fill: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return Array.from(fill(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}
