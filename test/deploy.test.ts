// The deployment kit must stay in step with the service: the unit waits longer than the drain,
// the env example names only real variables, the IAM policy grants PutObject and AbortMultipartUpload and nothing else,
// the Grafana dashboard queries only metrics the service exports.
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { ConfigSchema, loadConfig } from "../src/config.ts";
import { haveHaproxy } from "./support/haproxy.ts";
import { exportedMetrics, selectedMetrics } from "./support/promql.ts";

const read = (path: string) => readFileSync(new URL(`../deploy/${path}`, import.meta.url), "utf8");
const unit = read("s3-ingest.service");
const setting = (name: string) => unit.match(new RegExp(`^${name}=(.*)$`, "m"))?.[1];
const envExample = Object.fromEntries(
  read("s3-ingest.env.example")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split("=", 2) as [string, string]),
);

describe("deploy kit", () => {
  it("gives the drain longer than SHUTDOWN_TIMEOUT_MS before systemd kills the service", () => {
    const drainSecs = loadConfig(envExample).SHUTDOWN_TIMEOUT_MS / 1000;
    expect(Number(setting("TimeoutStopSec"))).toBeGreaterThan(drainSecs);
    expect(setting("KillSignal")).toBe("SIGTERM");
    expect(setting("KillMode")).toBe("mixed");
    expect(setting("Restart")).toBe("always");
    expect(Number(setting("LimitNOFILE"))).toBeGreaterThanOrEqual(65536);
  });

  it("names only variables the service knows in the env example, with valid values", () => {
    for (const name of Object.keys(envExample)) expect(Object.keys(ConfigSchema.properties)).toContain(name);
    expect(() => loadConfig(envExample)).not.toThrow();
    expect(Object.keys(envExample).some((k) => k.startsWith("AWS_ACCESS") || k.startsWith("AWS_SECRET"))).toBe(false);
  });

  it("grants s3:PutObject and s3:AbortMultipartUpload on the bucket's prefix and nothing else", () => {
    const policy = JSON.parse(read("iam-policy.json"));
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement;
    // PutObject covers starting, uploading parts of and completing a multipart upload; aborting is its own action.
    expect(statement).toMatchObject({ Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"] });
    expect(statement.Resource).toBe(`arn:aws:s3:::${envExample.S3_BUCKET}/${envExample.S3_PREFIX}/*`);
  });

  it.skipIf(!haveHaproxy)("ships an HAProxy configuration that HAProxy accepts, with a header timeout", () => {
    const cfg = read("haproxy.cfg");
    expect(cfg).toMatch(/^ {2}timeout http-request \d+s$/m);
    expect(cfg).toMatch(/^ {2}option httpchk GET \/ready$/m);
    const check = Bun.spawnSync(["haproxy", "-c", "-f", new URL("../deploy/haproxy.cfg", import.meta.url).pathname]);
    expect(check.exitCode).toBe(0);
  });

  it("ships a Grafana dashboard whose every query parses as PromQL and names only metrics the service exports", () => {
    const exported = exportedMetrics();
    const dashboard = JSON.parse(read("grafana/grafana-dashboard.json")) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { type: string; query: string }[] };
    };
    const queries = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const named: string[] = [];
    for (const query of queries) named.push(...selectedMetrics(query));
    for (const v of dashboard.templating.list.filter((t) => t.type === "query")) named.push(/label_values\((\w+),/.exec(v.query)![1]!);
    expect(named.filter((name) => !exported.has(name))).toEqual([]);
    // The charts the status page will show are all here too.
    for (const name of [
      "s3_ingest_http_requests_total",
      "s3_ingest_upload_duration_seconds_bucket",
      "process_resident_memory_bytes",
      "s3_ingest_http_event_loop_lag_seconds_bucket",
    ]) {
      expect(named).toContain(name);
    }
  });
});
