import { type K8sObject, describe as name } from './render.js';
import { containers, dataOf, find, podTemplate } from './workloads.js';

/** Writable-root exceptions an overlay is allowed: dev's file sync (components/dev-file-sync). */
const WRITABLE_ROOT: Record<string, string[]> = { dev: ['gateway', 'auth', 'audit'] };

/**
 * Pod hygiene on every workload: no service-account token, non-root, seccomp,
 * and per container no privilege escalation, drop ALL, read-only root,
 * requests and limits, and probes on long-running containers.
 */
export function checkPodHygiene(objects: K8sObject[], overlay: string): string[] {
  const problems: string[] = [];
  for (const owner of objects) {
    const template = podTemplate(owner);
    if (!template) continue;
    const spec = template.spec as { automountServiceAccountToken?: boolean; securityContext?: Record<string, unknown> };
    if (spec.automountServiceAccountToken !== false)
      problems.push(`${name(owner)}: automountServiceAccountToken is not false`);
    if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${name(owner)}: runAsNonRoot is not true`);
    const seccomp = spec.securityContext?.seccompProfile as { type?: string } | undefined;
    if (seccomp?.type !== 'RuntimeDefault') problems.push(`${name(owner)}: seccompProfile is not RuntimeDefault`);
  }
  for (const ref of containers(objects)) {
    const where = `${name(ref.owner)} container ${ref.container.name}`;
    const sc = ref.container.securityContext ?? {};
    const drop = (sc.capabilities as { drop?: string[] } | undefined)?.drop ?? [];
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (!drop.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
    const writableAllowed = (WRITABLE_ROOT[overlay] ?? []).includes(ref.container.name);
    if (sc.readOnlyRootFilesystem !== true && !writableAllowed) problems.push(`${where}: root filesystem is writable`);
    const { requests, limits } = ref.container.resources ?? {};
    if (!requests?.memory || !requests?.cpu || !limits?.memory)
      problems.push(`${where}: missing requests or memory limit`);
    const longRunning = ['Deployment', 'StatefulSet'].includes(ref.owner.kind) && !ref.isInit;
    if (longRunning && (!ref.container.livenessProbe || !ref.container.readinessProbe)) {
      problems.push(`${where}: missing liveness or readiness probe`);
    }
  }
  for (const sa of objects.filter((o) => o.kind === 'ServiceAccount')) {
    if (sa.automountServiceAccountToken !== false)
      problems.push(`${name(sa)}: automountServiceAccountToken is not false`);
  }
  return problems;
}

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const K8S_UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

function bytes(value: string, units: Record<string, number>): number {
  const match = /^(\d+)([A-Za-z]*)$/.exec(value.trim());
  const unit = match ? units[match[2] as string] : undefined;
  if (!match || unit === undefined) throw new Error(`cannot read size ${value}`);
  return Number(match[1]) * unit;
}

/** The settings of a redis.conf text (last one wins, as in Redis). */
function parseRedisConf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    settings.set((key as string).toLowerCase(), rest.join(' '));
  }
  return settings;
}

/**
 * The in-cluster Redis is the field note's manifest made correct: one
 * StatefulSet replica, AOF on a claimed volume, maxmemory below the limit with
 * noeviction, a pinned image, probes that pass only on PONG.
 */
export function checkRedis(objects: K8sObject[]): string[] {
  const redis = find(objects, 'StatefulSet', 'redis');
  if (!redis) return ['StatefulSet/redis is missing'];
  const problems: string[] = [];
  const spec = redis.spec as { replicas?: number; volumeClaimTemplates?: { metadata: { name: string } }[] };
  if (spec.replicas !== 1) problems.push('StatefulSet/redis: replicas must be 1 (one primary)');
  const [ref] = containers([redis]);
  if (!ref) return ['StatefulSet/redis has no container'];
  const { container } = ref;
  if (!/^redis:\d+\.\d+\.\d+(-[\w.]+)?@sha256:[0-9a-f]{64}$/.test(container.image))
    problems.push(`redis image ${container.image} is not pinned to a patch version and its digest`);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const command = container[probe]?.exec?.command.join(' ') ?? '';
    if (!/redis-cli.*ping/.test(command) || !command.includes('= PONG'))
      problems.push(`redis ${probe} does not require a PONG reply`);
  }
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-config'));
  const conf = parseRedisConf(configMap ? (dataOf(configMap)['redis.conf'] ?? '') : '');
  const limit = container.resources?.limits?.memory;
  if (conf.get('maxmemory-policy') !== 'noeviction') problems.push('redis maxmemory-policy is not noeviction');
  if (conf.get('appendonly') !== 'yes') problems.push('redis appendonly is not yes');
  const maxmemory = conf.get('maxmemory');
  if (!maxmemory || !limit || bytes(maxmemory.toLowerCase(), MEMORY_UNITS) >= bytes(limit, K8S_UNITS)) {
    problems.push(`redis maxmemory ${maxmemory} is not below the memory limit ${limit}`);
  }
  const claims = (spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name);
  const dataMount = container.volumeMounts?.find((m) => m.mountPath === conf.get('dir'));
  if (!dataMount || !claims.includes(dataMount.name))
    problems.push(`redis dir ${conf.get('dir')} is not on a volume claim`);
  return problems;
}
