import type { K8sObject } from './render.js';

/** A container of a rendered pod template, with where it lives. */
export interface ContainerRef {
  owner: K8sObject;
  podLabels: Record<string, string>;
  container: Container;
  isInit: boolean;
}

/** The fields of a container the checks read. */
export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  command?: string[];
  volumeMounts?: { name: string; mountPath: string }[];
}

/** One `env` entry. */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** The parts of a probe that name a port. */
interface Probe {
  httpGet?: { port: number | string; path?: string };
  tcpSocket?: { port: number | string };
  grpc?: { port: number };
  exec?: { command: string[] };
}

type PodTemplate = {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; [field: string]: unknown };
};

/** The pod template of a Deployment, StatefulSet, Job or CronJob, if any. */
export function podTemplate(object: K8sObject): PodTemplate | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (object.kind === 'CronJob') {
    const job = spec.jobTemplate as { spec: { template: PodTemplate } };
    return job.spec.template;
  }
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(object.kind)) {
    return spec.template as PodTemplate;
  }
  return undefined;
}

/** Every container (init containers included) of every pod template. */
export function containers(objects: K8sObject[]): ContainerRef[] {
  return objects.flatMap((owner) => {
    const template = podTemplate(owner);
    if (!template) return [];
    const podLabels = template.metadata?.labels ?? {};
    return [
      ...(template.spec.initContainers ?? []).map((container) => ({ owner, podLabels, container, isInit: true })),
      ...template.spec.containers.map((container) => ({ owner, podLabels, container, isInit: false })),
    ];
  });
}

/** Whether `labels` satisfy a `matchLabels` selector (an empty selector matches everything). */
export function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

/** Resolves a port by number or by container port name. */
export function resolvePort(container: Container, port: number | string): number | undefined {
  const ports = container.ports ?? [];
  const found =
    typeof port === 'number' ? ports.find((p) => p.containerPort === port) : ports.find((p) => p.name === port);
  return found?.containerPort;
}

/** Finds one object by kind and name. */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** The decoded data of a rendered ConfigMap or Secret. */
export function dataOf(object: K8sObject): Record<string, string> {
  const out: Record<string, string> = { ...((object.data as Record<string, string>) ?? {}) };
  if (object.kind === 'Secret') {
    for (const [key, value] of Object.entries(out)) out[key] = Buffer.from(value, 'base64').toString('utf8');
    Object.assign(out, (object.stringData as Record<string, string>) ?? {});
  }
  return out;
}
