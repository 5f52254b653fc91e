// Kubernetes manifests as kustomize renders them, for test/kubernetes.test.ts: `kubectl
// kustomize` (kustomize v4 or later: the manifests use `labels` and components), the schema
// model of each object's kind (kubernetes-models, and the Prometheus Operator's models for a
// ServiceMonitor), and the settings a pod's container gets from its env and envFrom.
import { spawnSync } from "node:child_process";

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { resourceFieldRef?: { resource: string; divisor?: string } };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
}

interface Probe {
  httpGet?: { path?: string; port: string | number };
}

export interface PodSpec {
  containers: Container[];
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

/** A rendered object: checked by its schema, then read as the test needs. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: the rest of an object is whatever its kind's schema allows
} & Record<string, any>;

/** Whether `kubectl` is here with a kustomize new enough for these manifests (v4 or later). */
export const kubectlKustomize = (() => {
  const version = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" });
  const kustomize = /Kustomize Version: v(\d+)/.exec(version.stdout ?? "");
  return version.status === 0 && kustomize !== null && Number(kustomize[1]) >= 4;
})();

/** The objects `kubectl kustomize dir` produces. */
export function render(dir: string): K8sObject[] {
  const out = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${out.stderr}`);
  return out.stdout
    .split(/^---$/m)
    .filter((doc) => doc.trim())
    .map((doc) => Bun.YAML.parse(doc) as K8sObject);
}

interface Model {
  new (data: unknown): { validate(): void };
}

/** The schema model of an object's apiVersion and kind; throws for one no package knows. */
export async function modelFor(object: K8sObject): Promise<Model> {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const module =
    group === "monitoring.coreos.com"
      ? await import(`@kubernetes-models/prometheus-operator/${group}/${version}`)
      : await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
  const model = (module as Record<string, Model | undefined>)[object.kind];
  if (!model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  return model;
}

/** A workload's pod spec (Deployment, StatefulSet, Job). */
export const podSpecOf = (workload: K8sObject): PodSpec => workload.spec.template.spec as PodSpec;

const CPU = /^(\d+)(m?)$/;

/**
 * The settings the workload's first container runs with: its envFrom ConfigMaps (found among
 * `objects`), then its env, with a resourceFieldRef on limits.cpu resolved as the kubelet does
 * (the limit over the divisor, rounded up).
 */
export function settingsOf(workload: K8sObject, objects: K8sObject[]): Record<string, string> {
  const [container] = podSpecOf(workload).containers;
  const settings: Record<string, string> = {};
  for (const from of container!.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const map = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name);
    if (!map) throw new Error(`envFrom names ConfigMap ${name}, which is not among the objects`);
    Object.assign(settings, map.data);
  }
  for (const e of container!.env ?? []) {
    if (e.value !== undefined) settings[e.name] = e.value;
    else if (e.valueFrom?.resourceFieldRef?.resource === "limits.cpu") {
      const [, n, milli] = CPU.exec(container!.resources?.limits?.cpu ?? "") ?? [];
      if (n === undefined) throw new Error(`${e.name} comes from limits.cpu, which is not set as whole or milli CPUs`);
      const divisor = Number(e.valueFrom.resourceFieldRef.divisor ?? 1);
      settings[e.name] = String(Math.ceil(Number(n) / (milli ? 1000 : 1) / divisor));
    } else throw new Error(`${e.name}: a value source the test does not resolve`);
  }
  return settings;
}
