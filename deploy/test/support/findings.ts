import type { TObject } from '@sinclair/typebox';
import type { SkaffoldConfig } from './build.js';
import { containerEnv, type ServiceName, serviceOfImage } from './cross-checks.js';
import { type K8sObject, describe as name } from './render.js';
import { type ContainerRef, containers, dataOf, find, matches, podTemplate, resolvePort } from './workloads.js';

type Selector = { matchLabels?: Record<string, string> };
type PodSpecFields = {
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: { topologyKey: string; labelSelector?: Selector }[];
};
type Lifecycle = { preStop?: { sleep?: { seconds: number }; exec?: unknown; httpGet?: unknown } };

/** The workloads whose pods run until stopped. */
function longRunning(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
}

function hpaFor(objects: K8sObject[], owner: K8sObject) {
  return objects
    .filter((o) => o.kind === 'HorizontalPodAutoscaler')
    .map((o) => o.spec as { scaleTargetRef: { kind: string; name: string }; maxReplicas: number })
    .find((s) => s.scaleTargetRef.kind === owner.kind && s.scaleTargetRef.name === owner.metadata.name);
}

/** A workload an autoscaler scales carries no `replicas`: every apply would reset the count. */
export function checkHpaReplicas(objects: K8sObject[]): string[] {
  return longRunning(objects)
    .filter((o) => hpaFor(objects, o) && (o.spec as { replicas?: number }).replicas !== undefined)
    .map((o) => `${name(o)}: sets replicas while a HorizontalPodAutoscaler owns the count`);
}

/** How long a service of this repository may take to drain after SIGTERM (runServer's default is 10 s). */
function shutdownGraceSeconds(objects: K8sObject[], ref: ContainerRef, schemas: Record<ServiceName, TObject>): number {
  const service = serviceOfImage(ref.container.image);
  if (!service) return 0;
  const { env } = containerEnv(objects, ref);
  const key = Object.keys(schemas[service].properties).find((k) => /_SHUTDOWN_GRACE_MS$/.test(k));
  const fallback = key ? (schemas[service].properties[key] as { default?: number }).default : undefined;
  const ms = Number((key && env.get(key)) ?? fallback ?? 10_000);
  return Math.ceil(ms / 1000);
}

/**
 * Start-up and shut-down: every long-running container has a startupProbe;
 * every Deployment container behind a Service sleeps in preStop (the
 * kubelet's sleep action: slim images have no `sleep` binary) so its endpoint
 * is gone before SIGTERM; and terminationGracePeriodSeconds covers the
 * preStop sleep plus the service's own drain.
 */
export function checkLifecycle(objects: K8sObject[], schemas: Record<ServiceName, TObject>): string[] {
  const problems: string[] = [];
  const services = objects.filter((o) => o.kind === 'Service');
  for (const ref of containers(longRunning(objects)).filter((r) => !r.isInit)) {
    const where = `${name(ref.owner)} container ${ref.container.name}`;
    if (!ref.container.startupProbe) problems.push(`${where}: no startupProbe`);
    const behindService = services.some((s) =>
      matches((s.spec as { selector?: Record<string, string> }).selector ?? { '': '' }, ref.podLabels),
    );
    const preStop = (ref.container as { lifecycle?: Lifecycle }).lifecycle?.preStop;
    const sleep = preStop?.sleep?.seconds ?? 0;
    if (ref.owner.kind === 'Deployment' && behindService && sleep <= 0) {
      problems.push(`${where}: no preStop sleep (lifecycle.preStop.sleep) before SIGTERM`);
    }
    const grace = ((podTemplate(ref.owner)?.spec ?? {}) as PodSpecFields).terminationGracePeriodSeconds ?? 30;
    const drain = shutdownGraceSeconds(objects, ref, schemas);
    if (grace < sleep + drain) {
      problems.push(
        `${where}: terminationGracePeriodSeconds ${grace} < preStop sleep ${sleep} + shutdown grace ${drain}`,
      );
    }
  }
  return problems;
}

/** A workload that can run several pods spreads them over nodes and zones. */
export function checkSpread(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const owner of longRunning(objects)) {
    const replicas = (owner.spec as { replicas?: number }).replicas ?? 1;
    if (Math.max(replicas, hpaFor(objects, owner)?.maxReplicas ?? 0) <= 1) continue;
    const template = podTemplate(owner);
    const spread = ((template?.spec ?? {}) as PodSpecFields).topologySpreadConstraints ?? [];
    for (const key of ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']) {
      const own = spread.find(
        (c) =>
          c.topologyKey === key &&
          c.labelSelector?.matchLabels &&
          matches(c.labelSelector.matchLabels, template?.metadata?.labels ?? {}),
      );
      if (!own) problems.push(`${name(owner)}: no topologySpreadConstraint on ${key} selecting its own pods`);
    }
  }
  return problems;
}

/** A Job ends by a deadline, whatever happens to its pods. */
export function checkJobs(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'Job' && !(o.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds)
    .map((o) => `${name(o)}: no activeDeadlineSeconds`);
}

/** The measured peak of one 100,000-row export (docs/deploy.md, "Sizing audit"), in MiB. */
const AUDIT_EXPORT_PEAK_MIB = 240;

const MIB: Record<string, number> = { Mi: 1, Gi: 1024 };
function mebibytes(value: string | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(value ?? '');
  return match ? Number(match[1]) * (MIB[match[2] as string] as number) : 0;
}

/** The audit container's memory covers a measured export (request) and a second one on top (limit). */
export function checkAuditMemory(objects: K8sObject[]): string[] {
  return containers(objects)
    .filter((ref) => serviceOfImage(ref.container.image) === 'audit' && ref.owner.kind === 'Deployment')
    .flatMap((ref) => {
      const { requests, limits } = ref.container.resources ?? {};
      const problems: string[] = [];
      if (mebibytes(requests?.memory) < AUDIT_EXPORT_PEAK_MIB)
        problems.push(
          `${name(ref.owner)}: memory request ${requests?.memory} < one export's ${AUDIT_EXPORT_PEAK_MIB}Mi`,
        );
      if (mebibytes(limits?.memory) < 2 * AUDIT_EXPORT_PEAK_MIB)
        problems.push(
          `${name(ref.owner)}: memory limit ${limits?.memory} < two exports' ${2 * AUDIT_EXPORT_PEAK_MIB}Mi`,
        );
      return problems;
    });
}

type Peer = {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
};
type Rule = { to?: Peer[]; from?: Peer[]; ports?: { port?: number | string; protocol?: string }[] };
type Policy = { podSelector: Selector; policyTypes?: string[]; egress?: Rule[]; ingress?: Rule[] };

function policies(objects: K8sObject[]) {
  return objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => ({ object: o, spec: o.spec as Policy }));
}

/** Default ports of the URL schemes the services use. */
const SCHEME_PORTS: Record<string, number> = {
  'http:': 80,
  'https:': 443,
  'redis:': 6379,
  'rediss:': 6380,
  'postgres:': 5432,
  'postgresql:': 5432,
};
/** Where an env var holding a Secret the operator creates points: its scheme's port, any host. */
const SECRET_URL_PORTS: Record<string, number[]> = { DATABASE_URL: [5432], REDIS_URL: [6379] };

/** The Service a host name resolves to in the namespace: `name`, or a pod of a headless Service (`pod.name`). */
function serviceOfHost(objects: K8sObject[], host: string): K8sObject | undefined {
  const labels = host.split('.');
  if (labels.length === 1) return find(objects, 'Service', host);
  const headless = labels.length === 2 ? find(objects, 'Service', labels[1] as string) : undefined;
  return (headless?.spec as { clusterIP?: string } | undefined)?.clusterIP === 'None' ? headless : undefined;
}

/** Every destination a container's environment names: in-cluster Services by their pods, others by port. */
function destinations(
  objects: K8sObject[],
  ref: ContainerRef,
): { what: string; port: number; pods?: Record<string, string> }[] {
  const { env } = containerEnv(objects, ref);
  const out: { what: string; port: number; pods?: Record<string, string> }[] = [];
  for (const entry of ref.container.env ?? []) {
    const secretRef = entry.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (!secretRef) continue;
    const secret = find(objects, 'Secret', secretRef.name);
    if (secret) env.set(entry.name, dataOf(secret)[secretRef.key]);
    else
      for (const port of SECRET_URL_PORTS[secretRef.key] ?? [])
        out.push({ what: `${entry.name} (Secret ${secretRef.name})`, port });
  }
  for (const [key, value] of env) {
    const urls = (value ?? '').match(/[a-z][a-z0-9+.-]*:\/\/[^\s,]+/gi) ?? [];
    // `host:port` lists such as REDIS_SENTINELS, read as TCP addresses.
    const addresses = (value ?? '')
      .split(',')
      .filter((part) => /^[a-z0-9.-]+:\d+$/i.test(part))
      .map((part) => `tcp://${part}`);
    for (const text of [...urls, ...addresses]) {
      const url = new URL(text);
      // Loopback stays inside the pod (a sidecar's own Redis): no NetworkPolicy applies.
      if (/^(localhost|127\.[\d.]+|\[::1\])$/.test(url.hostname)) continue;
      const port = Number(url.port || SCHEME_PORTS[url.protocol]);
      const service = serviceOfHost(objects, url.hostname);
      if (!service) {
        out.push({ what: `${key}=${url.protocol}//${url.host}`, port });
        continue;
      }
      const spec = service.spec as {
        selector?: Record<string, string>;
        ports: { port: number; targetPort?: number | string }[];
      };
      const servicePort = spec.ports.find((p) => p.port === port);
      const target = containers(objects).find((r) => !r.isInit && matches(spec.selector, r.podLabels));
      const targetPort =
        servicePort && target ? resolvePort(target.container, servicePort.targetPort ?? servicePort.port) : undefined;
      out.push({ what: `${key}=${url.protocol}//${url.host}`, port: targetPort ?? port, pods: target?.podLabels });
    }
  }
  return out;
}

function allows(rule: Rule, port: number, protocol: string, pods: Record<string, string> | undefined): boolean {
  const portOk =
    !rule.ports ||
    rule.ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
  if (!portOk) return false;
  if (!rule.to) return true;
  return rule.to.some((peer) =>
    pods
      ? peer.podSelector !== undefined && !peer.namespaceSelector && matches(peer.podSelector.matchLabels, pods)
      : peer.ipBlock !== undefined,
  );
}

/**
 * Egress is denied by default, DNS is allowed to every pod, and each pod's
 * policies allow every destination its environment names: the Services it
 * calls (by their pods' labels and target port), and Redis, PostgreSQL,
 * upstreams and webhooks outside the cluster (by port).
 */
export function checkEgress(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const all = policies(objects);
  const denyAll = all.some(
    ({ spec }) =>
      Object.keys(spec.podSelector.matchLabels ?? {}).length === 0 &&
      spec.policyTypes?.includes('Egress') &&
      (spec.egress ?? []).length === 0,
  );
  if (!denyAll) problems.push('no default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules)');
  for (const owner of objects.filter((o) => podTemplate(o))) {
    const labels = podTemplate(owner)?.metadata?.labels ?? {};
    const rules = all
      .filter(({ spec }) => spec.policyTypes?.includes('Egress') && matches(spec.podSelector.matchLabels, labels))
      .flatMap(({ spec }) => spec.egress ?? []);
    if (!rules.some((r) => !r.ports || r.ports.some((p) => p.port === 53 && p.protocol === 'UDP'))) {
      problems.push(`${name(owner)}: no egress to DNS (UDP 53)`);
    }
    for (const ref of containers([owner])) {
      for (const dest of destinations(objects, ref)) {
        if (!rules.some((r) => allows(r, dest.port, 'TCP', dest.pods))) {
          problems.push(
            `${name(owner)} container ${ref.container.name}: egress to ${dest.what} (port ${dest.port}) is not allowed`,
          );
        }
      }
    }
  }
  return problems;
}

/** No ingress rule admits every source; a namespace peer names its namespace. */
export function checkIngressSources(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { object, spec } of policies(objects)) {
    for (const rule of spec.ingress ?? []) {
      if (!rule.from || rule.from.length === 0) problems.push(`${name(object)}: an ingress rule admits every source`);
      for (const peer of rule.from ?? []) {
        if (peer.namespaceSelector && !peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'])
          problems.push(`${name(object)}: a namespaceSelector that does not name its namespace`);
        if (peer.ipBlock?.cidr === '0.0.0.0/0') problems.push(`${name(object)}: ingress from 0.0.0.0/0`);
      }
    }
  }
  return problems;
}

type Hooked = {
  deploy?: { kubectl?: { flags?: Record<string, string[]>; hooks?: { before?: { host?: { command: string[] } }[] } } };
};

/**
 * skaffold never applies with `--force`, and every Job a deploy renders is
 * deleted (in its namespace) by a before-deploy hook of that deploy, so the
 * next apply creates it again with the new images.
 */
export function checkSkaffoldJobs(config: SkaffoldConfig, renders: Map<string, K8sObject[]>): string[] {
  const problems: string[] = [];
  const top = config as SkaffoldConfig & Hooked;
  const deploys = [
    { name: 'skaffold run', cfg: top, overlay: top.manifests?.kustomize?.paths?.[0] },
    ...(config.profiles ?? []).map((p) => {
      const profile = p as typeof p & Hooked;
      return {
        name: `profile ${p.name}`,
        cfg: profile.deploy ? profile : top,
        overlay: profile.manifests?.kustomize?.paths?.[0] ?? top.manifests?.kustomize?.paths?.[0],
      };
    }),
  ];
  for (const { name: deployName, cfg, overlay } of deploys) {
    const kubectl = cfg.deploy?.kubectl;
    for (const [kind, flags] of Object.entries(kubectl?.flags ?? {})) {
      if (flags.includes('--force')) problems.push(`${deployName}: kubectl ${kind} flags include --force`);
    }
    const commands = (kubectl?.hooks?.before ?? []).map((h) => h.host?.command ?? []);
    for (const job of (renders.get(overlay ?? '') ?? []).filter((o) => o.kind === 'Job')) {
      const namespace = job.metadata.namespace;
      const deletes = commands.some(
        (c) =>
          c.includes('delete') &&
          c.includes('job') &&
          c.includes(job.metadata.name) &&
          (!namespace || c.includes(`--namespace=${namespace}`)),
      );
      if (!deletes)
        problems.push(
          `${deployName}: no before-deploy hook deletes Job/${job.metadata.name}${namespace ? ` in ${namespace}` : ''}`,
        );
    }
  }
  return problems;
}
