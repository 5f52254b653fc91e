// Every start command the README gives, started as the README says, then signalled the way
// systemd, Docker, `timeout` or a CI runner do: SIGTERM to the process the command started, and
// to nothing else. The service must drain, every acknowledged payload must land, the command
// must exit 0, and no process of the service may be left. And Ctrl-C, which signals the whole
// process group: npm forwards SIGINT too, so the service gets it twice and must still drain.
// Each runs with two HTTP threads; and SIGTERM once more under 4,000 busy connections (wrk),
// which every thread must stop admitting before the drain.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWrk } from "../../bench/wrk.ts";
import { collection, ids } from "../support/collections.ts";
import { requestsPerThread } from "../support/metrics.ts";
import { startS3 } from "../support/s3.ts";
import { ServiceProcess } from "../support/service-process.ts";
import { buildBinary, ROOT } from "../support/targets.ts";
import { waitUntil } from "../support/wait.ts";

setDefaultTimeout(120_000);

/** Processes whose environment holds `marker`: the command and everything it started. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

interface StartCommand {
  /** As the README writes it. */
  readme: string;
  command: () => Promise<string[]>;
  /** Run from the checkout, as the README's npm commands are. */
  fromCheckout: boolean;
  interactive: boolean;
}

const haveDeno = existsSync(join(ROOT, "node_modules/.bin/deno"));
const commands: StartCommand[] = [
  { readme: "npm start", command: async () => ["npm", "start"], fromCheckout: true, interactive: true },
  ...(haveDeno ? [{ readme: "npm run start:deno", command: async () => ["npm", "run", "start:deno"], fromCheckout: true, interactive: true }] : []),
  { readme: "./dist/s3-ingest (bun run build)", command: async () => [await buildBinary()], fromCheckout: false, interactive: false },
];

const THREADS = 2;
const LOAD_CONNECTIONS = 4_000;
const PAYLOADS_PER_REQUEST = 10; // bench/collect.lua's collections
const haveWrk = Bun.which("wrk") !== null;

type Signal = "SIGTERM to the started process" | "Ctrl-C to the process group" | "SIGTERM under load";

async function run(start: StartCommand, signal: Signal) {
  await using s3 = await startS3();
  const marker = `s3-ingest-start-${crypto.randomUUID()}`;
  const env = { ...s3.env, HTTP_THREADS: String(THREADS), START_COMMAND_TEST: marker, SPOOL_DIR: join(tmpdir(), marker) };
  await using service = new ServiceProcess(await start.command(), env, { cwd: start.fromCheckout ? ROOT : undefined, detached: true });
  // An orphan, if the test fails.
  await using _ = {
    [Symbol.asyncDispose]: async () => {
      for (const pid of processesWith(marker)) process.kill(pid, "SIGKILL");
    },
  };
  await service.ready(60_000);
  const sent = ids(`start-${signal.length}`, 20);
  expect((await service.post(collection(sent))).status).toBe(200);

  expect(service.logs.find((l) => l.msg === "listening")?.http_threads).toBe(THREADS);
  if (signal === "SIGTERM under load") {
    // wrk runs its whole duration whatever happens; the SIGTERM below comes within seconds of its start.
    const load = startWrk({ port: service.port, connections: LOAD_CONNECTIONS, threads: 1, durationSecs: 15 });
    let loadEnded = false;
    void load.result.finally(() => {
      loadEnded = true;
    });
    // Under way on every thread: each has answered some of the load (and the post above).
    const base = await requestsPerThread(service.url, THREADS);
    await waitUntil(
      async () => (await requestsPerThread(service.url, THREADS)).every((n, t) => n > base[t]! + 100),
      "every HTTP thread to take load",
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    expect(loadEnded).toBe(false); // the signal comes under load, not after it
    service.signal("SIGTERM");
    expect(await service.exited()).toBe(0);
    const result = await load.result; // past the exit, wrk counts refused connections as socket errors
    const acknowledged = (result.requests - result.non2xx) * PAYLOADS_PER_REQUEST;
    expect(acknowledged).toBeGreaterThan(0);
    const lines = await s3.lines();
    expect(lines.length).toBeGreaterThanOrEqual(acknowledged + sent.length);
    expect(lines.map((l) => JSON.parse(l).id).filter((id: string) => id.startsWith("start-"))).toHaveLength(sent.length);
  } else {
    if (signal === "SIGTERM to the started process") service.signal("SIGTERM");
    else process.kill(-service.proc.pid, "SIGINT");
    expect(await service.exited()).toBe(0);
    const landed = (await s3.lines()).map((l) => JSON.parse(l).id);
    expect(landed.sort()).toEqual([...sent].sort());
  }
  expect(service.logs.some((l) => l.msg === "drained; exiting")).toBe(true);
  expect(processesWith(marker)).toEqual([]);
}

describe("the README's start commands under signals", () => {
  for (const start of commands) {
    it(`${start.readme}: SIGTERM to the started process drains, lands everything, exits 0 and leaves no process`, () =>
      run(start, "SIGTERM to the started process"));
    it.skipIf(!haveWrk)(
      `${start.readme}: SIGTERM under ${LOAD_CONNECTIONS.toLocaleString("en-US")} busy connections drains every HTTP thread, lands every acknowledged payload, exits 0 and leaves no process${haveWrk ? "" : " (skipped: wrk is not installed; .ci/run installs it)"}`,
      () => run(start, "SIGTERM under load"),
    );
    if (start.interactive) {
      it(`${start.readme}: Ctrl-C (SIGINT to the whole process group, twice over through npm) still drains and exits 0`, () =>
        run(start, "Ctrl-C to the process group"));
    }
  }
});
