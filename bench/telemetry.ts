// Synthetic telemetry payloads like the wrk load's (bench/collect.lua): about 240 bytes of
// varied fields each. For benchmarks that need realistic NDJSON without a load generator.
const EVENTS = ["scan", "heartbeat", "update", "detection", "quarantine"];
const OSES = ["windows-10", "windows-11", "macos-14", "ubuntu-24.04"];
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
const int = (max: number) => Math.floor(Math.random() * (max + 1));
const hex8 = () => int(0x7fffffff).toString(16).padStart(8, "0");

export function telemetryPayload(thread: number, n: number, i: number): string {
  return (
    `{"id":"${thread}-${n}-${i}","ts":${1700000000000 + int(99999999)},"host":"host-${String(int(99999)).padStart(5, "0")}",` +
    `"os":"${pick(OSES)}","agent":"4.${int(20)}.${int(99)}","event":"${pick(EVENTS)}","cpu":${Math.random().toFixed(3)},` +
    `"mem":${int(16000000000)},"ok":${Math.random() > 0.1},"threats":${int(5)},"sig":"${hex8()}${hex8()}",` +
    `"path":"C:\\\\Program Files\\\\Agent\\\\${int(99999)}.dat"}`
  );
}

/** About `bytes` of NDJSON telemetry. */
export function telemetryNdjson(bytes: number): Uint8Array {
  const lines: string[] = [];
  let total = 0;
  for (let n = 0; total < bytes; n++) {
    const line = telemetryPayload(1, n >> 4, n & 15);
    lines.push(line);
    total += line.length + 1;
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}
