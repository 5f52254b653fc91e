// deploy/kubernetes must stay in step with the service. Every kustomization there is rendered by
// kustomize itself (`kubectl kustomize`), and what it produces is checked: each object against
// the Kubernetes schemas (kubernetes-models; the Prometheus Operator's for a ServiceMonitor),
// each env var against the config schema, the ports and probe paths against a running service,
// the grace period against the drain, the memory limit against the peak RSS in BENCHMARKS.md,
// the image and user against the Dockerfile, and every metric an autoscaler or the dashboard
// names against what the service exports.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigSchema, loadConfig } from "../src/config.ts";
import { freePort } from "./support/haproxy.ts";
import { type K8sObject, kubectlKustomize, modelFor, type PodSpec, podSpecOf, render, settingsOf } from "./support/kubernetes.ts";
import { exportedMetrics, selectedMetrics } from "./support/promql.ts";
import { ServiceProcess } from "./support/service-process.ts";
import { ROOT } from "./support/targets.ts";

const KUBE = join(ROOT, "deploy/kubernetes");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Every kustomization under deploy/kubernetes (components are rendered through the examples that use them). */
function kustomizations(dir = KUBE): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...kustomizations(path));
    else if (name === "kustomization.yaml" && /^kind: Kustomization$/m.test(readFileSync(path, "utf8"))) found.push(dir);
  }
  return found.sort();
}

const roots = kustomizations();
const workloadKinds = new Set(["Deployment", "StatefulSet", "Job"]);
const rendered = kubectlKustomize ? new Map(roots.map((r) => [relative(KUBE, r), render(r)])) : new Map<string, K8sObject[]>();
const all = [...rendered.values()].flat();
const workloads = all.filter((o) => workloadKinds.has(o.kind));
const servingWorkloads = workloads.filter((o) => o.kind !== "Job");
const skip = kubectlKustomize ? false : "no kubectl with kustomize v4 or later here (kubectl 1.21+)";

/** The highest peak RSS measured at the defaults, as BENCHMARKS.md states it. */
const measuredPeakRssMiB = Number(/^Peak RSS at the defaults, the highest measured: \*\*(\d+) MiB\*\*/m.exec(read("BENCHMARKS.md"))?.[1]);

const mebibytes = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
};

describe.skipIf(Boolean(skip))(`deploy/kubernetes${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("renders the variants, the spool drain and the examples, with the objects each needs", () => {
    expect([...rendered.keys()]).toEqual(
      expect.arrayContaining(["memory", "disk", "spool-drain", "examples/memory-prometheus", "examples/disk-prometheus"]),
    );
    const kinds = (root: string) =>
      rendered
        .get(root)!
        .map((o) => o.kind)
        .sort();
    for (const [root, kind] of [
      ["memory", "Deployment"],
      ["disk", "StatefulSet"],
    ] as const) {
      expect(kinds(root)).toEqual(
        ["ConfigMap", "ConfigMap", kind, "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "Service", "ServiceAccount"].sort(),
      );
    }
    expect(kinds("examples/memory-prometheus")).toContain("ServiceMonitor");
    expect(kinds("spool-drain")).toEqual(["ConfigMap", "Job"]);
    // One namespace for everything an apply creates, the workloads included (their references to the settings depend on it).
    for (const [root, objects] of rendered) {
      if (root === "base" || root === "settings") continue; // parts, applied only through a variant
      for (const o of objects)
        expect(`${root}: ${o.kind} ${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${root}: ${o.kind} ${o.metadata.name} in s3-ingest`);
    }
  });

  it("produces only objects that are valid against their Kubernetes schemas", async () => {
    for (const object of all) {
      const Model = await modelFor(object);
      expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
    // The validator does refuse a broken object.
    const [deployment] = rendered.get("memory")!.filter((o) => o.kind === "Deployment");
    const Deployment = await modelFor(deployment!);
    expect(() => new Deployment({ ...deployment, spec: { ...deployment!.spec, replicas: "two" } }).validate()).toThrow();
  });

  it("sets only real settings of the service, with values its config schema accepts", () => {
    for (const root of ["memory", "disk", "spool-drain"]) {
      for (const workload of rendered.get(root)!.filter((o) => workloadKinds.has(o.kind))) {
        const settings = settingsOf(workload, rendered.get(root)!);
        for (const name of Object.keys(settings)) expect(Object.keys(ConfigSchema.properties), `${root}: ${name}`).toContain(name);
        expect(() => loadConfig(settings), root).not.toThrow();
        expect(
          Object.keys(settings).some((k) => k.startsWith("AWS_ACCESS") || k.startsWith("AWS_SECRET")),
          "no keys in manifests",
        ).toBe(false);
      }
    }
    expect(settingsOf(workloads.find((w) => w.kind === "StatefulSet")!, rendered.get("disk")!).DURABILITY).toBe("disk");
    expect(settingsOf(workloads.find((w) => w.kind === "Deployment")!, rendered.get("memory")!).DURABILITY).toBe("memory");
  });

  it("points its ports and probes at what the service serves", async () => {
    const objects = rendered.get("disk")!;
    const workload = objects.find((o) => o.kind === "StatefulSet")!;
    const config = loadConfig(settingsOf(workload, objects));
    const [container] = podSpecOf(workload).containers;
    const port = (name: string) => container!.ports!.find((p) => p.name === name)!.containerPort;
    expect(port("http")).toBe(config.PORT);
    expect(port("admin")).toBe(config.ADMIN_PORT);
    // Every Service's target port is a named port of the pods it selects.
    for (const service of objects.filter((o) => o.kind === "Service")) {
      for (const p of service.spec.ports) expect(container!.ports!.map((c) => c.name)).toContain(p.targetPort);
      const labels = workload.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) expect(labels[k]).toBe(v);
    }
    // The probe paths, asked of a real service on the same two listeners (free ports here, and the local store).
    await using service = await new ServiceProcess([process.execPath, join(ROOT, "src/main.ts")], {
      ...settingsOf(workload, objects),
      S3_BUCKET: "",
      PORT: "0",
      ADMIN_PORT: String(await freePort()),
      ADMIN_HOST: "127.0.0.1",
      SPOOL_DIR: "spool",
    }).ready();
    const listening = service.logs.find((l) => l.msg === "listening")!;
    const urlOn = (portName: string, path: string) => `http://127.0.0.1:${portName === "admin" ? listening.admin_port : listening.port}${path}`;
    const probes = [container!.startupProbe, container!.readinessProbe, container!.livenessProbe];
    expect(probes.map((p) => p?.httpGet?.path)).toEqual(["/health", "/ready", "/health"]);
    for (const probe of probes) expect((await fetch(urlOn(probe!.httpGet!.port as string, probe!.httpGet!.path!))).status).toBe(200);
    expect((await fetch(urlOn("admin", "/metrics"))).status).toBe(200);
    expect((await fetch(urlOn("http", "/metrics"))).status).toBe(404); // metrics only on the admin port
    service.signal("SIGTERM");
    expect(await service.exited()).toBe(0);
  });

  it("gives every pod a grace period longer than the preStop pause plus the drain's deadline", () => {
    for (const root of ["memory", "disk", "spool-drain"]) {
      for (const workload of rendered.get(root)!.filter((o) => workloadKinds.has(o.kind))) {
        const spec = podSpecOf(workload);
        const drainSecs = loadConfig(settingsOf(workload, rendered.get(root)!)).SHUTDOWN_TIMEOUT_MS / 1000;
        const pause = spec.containers[0]!.lifecycle?.preStop?.sleep?.seconds ?? 0;
        if (workload.kind !== "Job") expect(pause, root).toBeGreaterThanOrEqual(5);
        expect(spec.terminationGracePeriodSeconds!, root).toBeGreaterThan(pause + drainSecs);
      }
    }
  });

  it("scales down more slowly than a pod drains, on metrics the service exports", () => {
    const exported = exportedMetrics();
    const rules = Bun.YAML.parse(read("deploy/kubernetes/components/buffer-autoscaling/prometheus-adapter-rules.yaml")) as {
      rules: { custom: { seriesQuery: string; metricsQuery: string; name: { as: string } }[] };
    };
    // The adapter's template holes, filled as it fills them, leave PromQL.
    const filled = (q: string) =>
      q.replaceAll("<<.GroupBy>>", "pod").replaceAll(",<<.LabelMatchers>>", ',pod="p"').replaceAll("<<.LabelMatchers>>", 'pod="p"');
    const served = new Set(rules.rules.custom.map((r) => r.name.as));
    for (const rule of rules.rules.custom) {
      for (const name of [...selectedMetrics(rule.seriesQuery), ...selectedMetrics(filled(rule.metricsQuery))]) expect(exported).toContain(name);
    }
    for (const hpa of all.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
      const target = all.find((o) => o.kind === hpa.spec.scaleTargetRef.kind && o.metadata.name === hpa.spec.scaleTargetRef.name);
      expect(target, `${hpa.spec.scaleTargetRef.kind} ${hpa.spec.scaleTargetRef.name}`).toBeDefined();
      expect(hpa.spec.metrics.map((m: { type: string; resource?: { name: string } }) => m.resource?.name)).toContain("cpu");
      for (const m of hpa.spec.metrics.filter((m: { type: string }) => m.type === "Pods")) expect(served).toContain(m.pods.metric.name);
      const grace = podSpecOf(target!).terminationGracePeriodSeconds!;
      expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(grace);
      for (const policy of hpa.spec.behavior.scaleDown.policies) expect(policy.periodSeconds).toBeGreaterThan(grace);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
    // The dashboard ConfigMap is the dashboard file, whose queries deploy.test.ts checks.
    const dashboard = all.find((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1")!;
    expect(JSON.parse(dashboard.data["grafana-dashboard.json"])).toEqual(JSON.parse(read("deploy/grafana/grafana-dashboard.json")));
    // The ServiceMonitor scrapes a port that a Service it selects has.
    const objects = rendered.get("examples/disk-prometheus")!;
    const monitor = objects.find((o) => o.kind === "ServiceMonitor")!;
    const selected = objects.filter(
      (o) => o.kind === "Service" && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
    );
    for (const endpoint of monitor.spec.endpoints)
      expect(selected.flatMap((s) => s.spec.ports.map((p: { name: string }) => p.name))).toContain(endpoint.port);
    const admin = objects.find((o) => o.kind === "Service" && o.metadata.annotations?.["prometheus.io/scrape"] === "true")!;
    const set = objects.find((o) => o.kind === "StatefulSet")!;
    expect(Number(admin.metadata.annotations!["prometheus.io/port"])).toBe(loadConfig(settingsOf(set, objects)).ADMIN_PORT);
  });

  it("runs the Dockerfile's image as its user, locked down, with a memory limit above the measured peak RSS", () => {
    const dockerfile = read("Dockerfile");
    const { version } = JSON.parse(read("package.json")) as { version: string };
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/cc-debian12:nonroot$/m);
    expect(dockerfile).toMatch(/^USER nonroot$/m); // distroless's nonroot: uid 65532
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    const exposed = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)![1]);
    expect(measuredPeakRssMiB).toBeGreaterThan(100);
    for (const workload of workloads) {
      const spec: PodSpec = podSpecOf(workload);
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(spec.serviceAccountName).toBe("s3-ingest");
      for (const c of spec.containers) {
        expect(c.image).toBe(`s3-ingest:${version}`);
        expect(c.command).toBeUndefined(); // the ENTRYPOINT, the binary, is PID 1
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(mebibytes(c.resources!.limits!.memory!)).toBeGreaterThan(1.5 * measuredPeakRssMiB);
        expect(c.resources!.requests!.memory).toBe(c.resources!.limits!.memory);
        if (workload.kind !== "Job") expect(c.ports!.map((p) => p.containerPort)).toContain(exposed);
      }
    }
    for (const workload of servingWorkloads) {
      const [c] = podSpecOf(workload).containers;
      expect(c!.resources!.requests!.cpu).toBe(c!.resources!.limits!.cpu); // Guaranteed QoS
      expect(c!.env!.find((e) => e.name === "HTTP_THREADS")?.valueFrom?.resourceFieldRef?.resource).toBe("limits.cpu");
    }
  });

  it("keeps a disk-mode pod's spool on a volume of its own, larger than SPOOL_MAX_BYTES, kept when the set scales in", () => {
    const objects = rendered.get("disk")!;
    const set = objects.find((o) => o.kind === "StatefulSet")!;
    const config = loadConfig(settingsOf(set, objects));
    const [claim] = set.spec.volumeClaimTemplates;
    const mount = podSpecOf(set).containers[0]!.volumeMounts!.find((m) => m.name === claim.metadata.name)!;
    expect(mount.mountPath).toBe(config.SPOOL_DIR);
    expect(mebibytes(claim.spec.resources.requests.storage) * 1024 * 1024).toBeGreaterThan(config.SPOOL_MAX_BYTES);
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenScaled: "Retain", whenDeleted: "Retain" });
    const headless = objects.find((o) => o.kind === "Service" && o.metadata.name === set.spec.serviceName);
    expect(headless?.spec.clusterIP).toBe("None");
    // The spool-drain Job mounts a claim by the StatefulSet's naming (claim-set-ordinal) at the same SPOOL_DIR.
    const job = rendered.get("spool-drain")!.find((o) => o.kind === "Job")!;
    const volume = podSpecOf(job).volumes!.find((v) => v.name === "spool")!;
    expect(volume.persistentVolumeClaim!.claimName).toMatch(new RegExp(`^${claim.metadata.name}-${set.metadata.name}-\\d+$`));
    expect(podSpecOf(job).containers[0]!.args).toEqual(["drain-spool"]);
    expect(loadConfig(settingsOf(job, rendered.get("spool-drain")!)).SPOOL_DIR).toBe(config.SPOOL_DIR);
  });
});
