import type { TObject } from '@sinclair/typebox';
import { beforeAll, describe, expect, it } from 'vitest';
import { allArtifacts, loadSkaffold } from './support/build.js';
import {
  checkEnv,
  checkPathsMounted,
  checkPorts,
  checkServiceUrls,
  loadConfigSchemas,
  SERVICES,
  type ServiceName,
  unpinnedImages,
  usedImages,
} from './support/cross-checks.js';
import { checkPodHygiene, checkRedis } from './support/hygiene.js';
import { OVERLAYS, type Overlay, overlayDir } from './support/paths.js';
import { type K8sObject, renderKustomization } from './support/render.js';
import { containers, dataOf, find } from './support/workloads.js';

const renders = {} as Record<Overlay, K8sObject[]>;
let schemas: Record<ServiceName, TObject>;
const built = new Set(loadSkaffold().flatMap((config) => allArtifacts(config).map((a) => a.artifact.image)));

beforeAll(async () => {
  for (const overlay of OVERLAYS) renders[overlay] = renderKustomization(overlayDir(overlay));
  schemas = await loadConfigSchemas();
});

/** A deep copy of a render, to break on purpose. */
function copyOf(overlay: Overlay): K8sObject[] {
  return structuredClone(renders[overlay]);
}

/** The spec of an object that must exist. */
function specOf<T>(objects: K8sObject[], kind: string, name: string): T {
  const object = find(objects, kind, name);
  if (!object) throw new Error(`no ${kind}/${name}`);
  return object.spec as T;
}

function container(objects: K8sObject[], owner: string, name: string) {
  const ref = containers(objects).find((r) => r.owner.metadata.name === owner && r.container.name === name);
  if (!ref) throw new Error(`no container ${name} in ${owner}`);
  return ref.container;
}

describe.each(OVERLAYS)('overlay %s cross-checks', (overlay) => {
  it('container ports match Services, probes, NetworkPolicies and the Ingress', () => {
    expect(checkPorts(renders[overlay])).toEqual([]);
  });

  it('every env var is known to the service ConfigSchema, valid, and every required one is set', () => {
    expect(checkEnv(renders[overlay], schemas)).toEqual([]);
  });

  it('key files and data folders named in the environment are on mounted volumes', () => {
    expect(checkPathsMounted(renders[overlay], schemas)).toEqual([]);
  });

  it('service URLs in the environment name rendered Services and their ports', () => {
    expect(checkServiceUrls(renders[overlay])).toEqual([]);
  });

  it('every skaffold image is used, and every other image is pinned by digest', () => {
    const used = usedImages(renders[overlay]);
    expect([...built].filter((image) => !used.has(image))).toEqual([]);
    expect(unpinnedImages(renders[overlay], built)).toEqual([]);
  });

  it('every workload has the pod hygiene of the issue', () => {
    expect(checkPodHygiene(renders[overlay], overlay)).toEqual([]);
  });

  it('has the gateway, auth and audit with PDBs, HPAs for gateway and auth, and one Service per service', () => {
    for (const service of Object.keys(SERVICES)) {
      expect(find(renders[overlay], 'Deployment', service), service).toBeDefined();
      expect(find(renders[overlay], 'PodDisruptionBudget', service), service).toBeDefined();
      expect(find(renders[overlay], 'Service', service), service).toBeDefined();
    }
    expect(find(renders[overlay], 'HorizontalPodAutoscaler', 'gateway')).toBeDefined();
    expect(find(renders[overlay], 'Job', 'gatehouse-migrate')).toBeDefined();
  });
});

describe('overlay specifics', () => {
  it('dev runs the correct in-cluster Redis and PostgreSQL', () => {
    expect(checkRedis(renders.dev)).toEqual([]);
    const service = find(renders.dev, 'Service', 'redis-service');
    expect(service?.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 6379 }] });
    expect(find(renders.dev, 'StatefulSet', 'postgres')).toBeDefined();
  });

  it('prod has two replicas of audit, autoscalers from two for gateway and auth, an Ingress, Redis with Sentinel, and no in-cluster PostgreSQL', () => {
    expect(specOf<{ replicas: number }>(renders.prod, 'Deployment', 'audit').replicas).toBe(2);
    for (const service of ['gateway', 'auth']) {
      expect(specOf<{ minReplicas: number }>(renders.prod, 'HorizontalPodAutoscaler', service).minReplicas).toBe(2);
    }
    expect(find(renders.prod, 'Ingress', 'gateway')).toBeDefined();
    // The gateway serves /metrics and the probes on its public port: the Ingress must not route them.
    type Rules = { rules: { http: { paths: { path: string; pathType: string }[] } }[] };
    const routed = specOf<Rules>(renders.prod, 'Ingress', 'gateway').rules.flatMap((r) => r.http.paths);
    for (const internal of ['/metrics', '/healthz', '/readyz']) {
      const reaches = routed.filter(({ path, pathType }) =>
        pathType === 'Exact'
          ? path === internal
          : internal === path || internal.startsWith(`${path.replace(/\/$/, '')}/`),
      );
      expect(reaches, internal).toEqual([]);
    }
    expect(routed.map((r) => r.path)).toContain('/api');
    expect(find(renders.prod, 'StatefulSet', 'postgres')).toBeUndefined();
  });

  it('prod runs Redis as a primary and two replicas on different nodes, watched by three sentinels', () => {
    type Set = { replicas: number; template: { spec: { affinity?: { podAntiAffinity?: unknown } } } };
    for (const name of ['redis', 'redis-sentinel']) {
      const spec = specOf<Set>(renders.prod, 'StatefulSet', name);
      expect(spec.replicas, name).toBe(3);
      expect(spec.template.spec.affinity?.podAntiAffinity, name).toBeDefined();
      expect(find(renders.prod, 'PodDisruptionBudget', name), name).toBeDefined();
    }
    expect(find(renders.prod, 'Service', 'redis-service')).toBeUndefined();
    const config = renders.prod.find((o) => o.metadata.name.startsWith('gatehouse-config')) as K8sObject;
    expect(dataOf(config).REDIS_SENTINELS?.split(',')).toHaveLength(3);
    const auth = renders.prod.find((o) => o.metadata.name.startsWith('auth-config')) as K8sObject;
    expect(dataOf(auth).REDIS_WAIT_REPLICAS).toBe('1');
    const conf = renders.prod.find((o) => o.metadata.name.startsWith('redis-config')) as K8sObject;
    expect(dataOf(conf)['redis.conf']).toMatch(/^appendonly yes$/m);
  });

  it('only the gateway takes traffic from outside the namespace; Redis and PostgreSQL admit only the services', () => {
    const outside = renders.dev
      .filter((o) => o.kind === 'NetworkPolicy')
      .filter((o) =>
        ((o.spec as { ingress?: { from?: { namespaceSelector?: unknown }[] }[] }).ingress ?? []).some(
          (rule) => !rule.from || rule.from.some((peer) => peer.namespaceSelector),
        ),
      );
    expect(outside.map((o) => o.metadata.name)).toEqual(['gateway']);
    type Policy = { ingress: { from: { podSelector: { matchLabels: { app: string } } }[] }[] };
    const peers = (policy: string) =>
      specOf<Policy>(renders.dev, 'NetworkPolicy', policy)
        .ingress.flatMap((rule) => rule.from.map((peer) => peer.podSelector.matchLabels.app))
        .sort();
    expect(peers('redis')).toEqual(['audit', 'auth', 'gateway']);
    expect(peers('postgres')).toEqual(['audit', 'auth', 'gatehouse-migrate']);
  });
});

describe('the cross-checks catch broken manifests', () => {
  it('a Service whose targetPort no container declares', () => {
    const objects = copyOf('dev');
    const [port] = specOf<{ ports: { targetPort: string }[] }>(objects, 'Service', 'auth').ports;
    if (port) port.targetPort = 'htp';
    expect(checkPorts(objects)).toEqual(['Service/auth: targetPort htp is not a port of the selected containers']);
  });

  it('a probe or NetworkPolicy on the wrong port', () => {
    const objects = copyOf('dev');
    container(objects, 'gateway', 'gateway').readinessProbe = { httpGet: { port: 9090, path: '/readyz' } };
    const policy = specOf<{ ingress: { ports: { port: number }[] }[] }>(objects, 'NetworkPolicy', 'redis');
    for (const rule of policy.ingress) for (const port of rule.ports) port.port = 6380;
    expect(checkPorts(objects)).toEqual([
      'Deployment/gateway container gateway: readinessProbe port 9090 is not declared',
      'NetworkPolicy/redis: port 6380 is not a port of the selected containers',
    ]);
  });

  it('an unknown env var, a missing required one, a bad value and a PORT mismatch', () => {
    const objects = copyOf('prod');
    const auth = container(objects, 'auth', 'auth');
    auth.env = (auth.env ?? []).filter((e) => e.name !== 'DATABASE_URL');
    auth.env.push({ name: 'SESION_TTL_SECONDS', value: '60' });
    auth.env.push({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://collector:4318' });
    container(objects, 'gateway', 'gateway').env?.push({ name: 'RATE_LIMIT_MAX', value: 'lots' });
    container(objects, 'audit', 'audit').ports = [{ name: 'http', containerPort: 9999 }];
    const problems = checkEnv(objects, schemas).join('\n');
    expect(problems).toMatch(/Deployment\/auth container auth \(auth\): SESION_TTL_SECONDS is not in services\/auth/);
    expect(problems).toMatch(/Deployment\/auth container auth \(auth\): required DATABASE_URL is not set/);
    expect(problems).not.toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(problems).toMatch(/Deployment\/gateway container gateway \(gateway\): .*RATE_LIMIT_MAX/);
    expect(problems).toMatch(
      /Deployment\/audit container audit \(audit\): listens on PORT 8082 but declares http port 9999/,
    );
  });

  it('a key file or export folder left on the read-only root filesystem', () => {
    const objects = copyOf('prod');
    const audit = container(objects, 'audit', 'audit');
    audit.volumeMounts = (audit.volumeMounts ?? []).filter((m) => m.name !== 'exports');
    const auth = container(objects, 'auth', 'auth');
    auth.env?.push({ name: 'JWT_PUBLIC_KEY_FILES', value: '/var/run/secrets/gatehouse/jwt/old.pem,/keys/older.pem' });
    expect(checkPathsMounted(objects, schemas)).toEqual([
      'Deployment/audit container audit: AUDIT_EXPORT_DIR=/var/lib/gatehouse/exports is not on a mounted volume',
      'Deployment/auth container auth: JWT_PUBLIC_KEY_FILES=/keys/older.pem is not on a mounted volume',
    ]);
  });

  it('a URL to a Service that is not rendered', () => {
    const objects = copyOf('dev');
    container(objects, 'gateway', 'gateway').env?.push({ name: 'AUTH_URL', value: 'http://authn:8081' });
    expect(checkServiceUrls(objects)).toEqual([
      'Deployment/gateway AUTH_URL=http://authn:8081: no Service authn with port 8081',
    ]);
  });

  it('an image that is neither built nor pinned', () => {
    const objects = copyOf('dev');
    container(objects, 'redis', 'redis').image = 'redis:latest';
    container(objects, 'postgres', 'postgres').image = 'postgres:16.10-alpine';
    expect(unpinnedImages(objects, built).sort()).toEqual(['postgres:16.10-alpine', 'redis:latest']);
    expect(unpinnedImages(renders.dev, new Set(['gatehouse-gateway', 'gatehouse-auth']))).toEqual(['gatehouse-audit']);
  });

  it('a Redis that evicts, answers probes without PONG, or has no room under its limit', () => {
    const objects = copyOf('dev');
    const conf = objects.find((o) => o.metadata.name.startsWith('redis-config')) as K8sObject & {
      data: Record<string, string>;
    };
    conf.data['redis.conf'] = `${conf.data['redis.conf']}\nmaxmemory 2gb\nmaxmemory-policy allkeys-lru\n`;
    const redis = container(objects, 'redis', 'redis');
    redis.readinessProbe = { exec: { command: ['redis-cli', 'ping'] } };
    expect(checkRedis(objects)).toEqual([
      'redis readinessProbe does not require a PONG reply',
      'redis maxmemory-policy is not noeviction',
      'redis maxmemory 2gb is not below the memory limit 1Gi',
    ]);
  });

  it('a writable root filesystem or a mounted token in prod', () => {
    const objects = copyOf('prod');
    container(objects, 'auth', 'auth').securityContext = {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    };
    const sa = find(objects, 'ServiceAccount', 'auth') as K8sObject;
    sa.automountServiceAccountToken = true;
    expect(checkPodHygiene(objects, 'prod')).toEqual([
      'Deployment/auth container auth: root filesystem is writable',
      'ServiceAccount/auth: automountServiceAccountToken is not false',
    ]);
  });
});
