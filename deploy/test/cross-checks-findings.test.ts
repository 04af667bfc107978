import type { TObject } from '@sinclair/typebox';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSkaffold, type SkaffoldConfig } from './support/build.js';
import { loadConfigSchemas, type ServiceName } from './support/cross-checks.js';
import {
  checkAuditMemory,
  checkEgress,
  checkHpaReplicas,
  checkIngressSources,
  checkJobs,
  checkLifecycle,
  checkSkaffoldJobs,
  checkSpread,
} from './support/findings.js';
import { OVERLAYS, type Overlay, overlayDir } from './support/paths.js';
import { type K8sObject, renderKustomization } from './support/render.js';
import { containers, find, podTemplate } from './support/workloads.js';

// The findings of issue 20, each as a check on both rendered overlays (and on
// whatever a later change adds to them), with a deliberately broken copy that
// each check must catch.

const renders = {} as Record<Overlay, K8sObject[]>;
let schemas: Record<ServiceName, TObject>;
const [config] = loadSkaffold() as [SkaffoldConfig];

beforeAll(async () => {
  for (const overlay of OVERLAYS) renders[overlay] = renderKustomization(overlayDir(overlay));
  schemas = await loadConfigSchemas();
});

const byPath = () => new Map(OVERLAYS.map((o) => [`deploy/k8s/overlays/${o}`, renders[o]]));

function workload(objects: K8sObject[], kind: string, name: string) {
  const object = find(objects, kind, name);
  if (!object) throw new Error(`no ${kind}/${name}`);
  return object as K8sObject & { spec: Record<string, unknown> };
}

describe.each(OVERLAYS)('overlay %s: the findings stay fixed', (overlay) => {
  it('no replicas where a HorizontalPodAutoscaler owns the count', () => {
    expect(checkHpaReplicas(renders[overlay])).toEqual([]);
  });
  it('startupProbe everywhere, preStop sleep behind Services, grace periods that add up', () => {
    expect(checkLifecycle(renders[overlay], schemas)).toEqual([]);
  });
  it('pods spread over nodes and zones', () => {
    expect(checkSpread(renders[overlay])).toEqual([]);
  });
  it('every Job has a deadline', () => {
    expect(checkJobs(renders[overlay])).toEqual([]);
  });
  it('audit memory is sized from the measured export', () => {
    expect(checkAuditMemory(renders[overlay])).toEqual([]);
  });
  it('egress is denied by default and allowed to DNS and every destination the environment names', () => {
    expect(checkEgress(renders[overlay])).toEqual([]);
  });
  it('no ingress rule admits every source; the gateway admits the ingress controller namespace only', () => {
    expect(checkIngressSources(renders[overlay])).toEqual([]);
    type Labels = { matchLabels: Record<string, string> };
    type Rules = { ingress: { from: { namespaceSelector?: Labels; podSelector?: Labels; ipBlock?: unknown }[] }[] };
    const gateway = workload(renders[overlay], 'NetworkPolicy', 'gateway').spec as unknown as Rules;
    const peers = gateway.ingress.flatMap((r) => r.from);
    // From outside the namespace: the ingress controller's only; inside it: audit (AUDIT_GATEWAY_JWKS_URL).
    const outside = peers.filter((p) => p.namespaceSelector || p.ipBlock).map((p) => p.namespaceSelector?.matchLabels);
    expect(outside).toEqual([{ 'kubernetes.io/metadata.name': 'ingress-nginx' }]);
    const inside = peers.filter((p) => !p.namespaceSelector && !p.ipBlock).map((p) => p.podSelector?.matchLabels);
    expect(inside).toEqual([{ app: 'audit' }]);
  });
});

describe('skaffold deletes the migration Job instead of forcing every apply', () => {
  it('holds for every deploy of skaffold.yaml', () => {
    expect(checkSkaffoldJobs(config, byPath())).toEqual([]);
  });
  it('catches --force and a missing or wrong-namespace hook', () => {
    const broken = structuredClone(config) as SkaffoldConfig & { deploy: { kubectl: Record<string, unknown> } };
    broken.deploy.kubectl = { flags: { apply: ['--force'] } };
    const prod = broken.profiles?.find((p) => p.name === 'prod') as { deploy?: unknown };
    prod.deploy = {
      kubectl: { hooks: { before: [{ host: { command: ['kubectl', 'delete', 'job', 'gatehouse-migrate'] } }] } },
    };
    expect(checkSkaffoldJobs(broken, byPath())).toEqual([
      'skaffold run: kubectl apply flags include --force',
      'skaffold run: no before-deploy hook deletes Job/gatehouse-migrate',
      'profile dev: kubectl apply flags include --force',
      'profile dev: no before-deploy hook deletes Job/gatehouse-migrate',
      'profile prod: no before-deploy hook deletes Job/gatehouse-migrate in gatehouse',
    ]);
  });
});

describe('the finding checks catch broken manifests', () => {
  it('replicas on an autoscaled Deployment', () => {
    const objects = structuredClone(renders.prod);
    workload(objects, 'Deployment', 'gateway').spec.replicas = 2;
    expect(checkHpaReplicas(objects)).toEqual([
      'Deployment/gateway: sets replicas while a HorizontalPodAutoscaler owns the count',
    ]);
  });

  it('no startupProbe, no preStop, a grace period shorter than preStop plus the drain', () => {
    const objects = structuredClone(renders.prod);
    const auth = containers(objects).find((r) => r.container.name === 'auth')?.container as unknown as Record<
      string,
      unknown
    >;
    delete auth.startupProbe;
    delete auth.lifecycle;
    const audit = podTemplate(workload(objects, 'Deployment', 'audit'))?.spec as Record<string, unknown>;
    audit.terminationGracePeriodSeconds = 28;
    expect(checkLifecycle(objects, schemas)).toEqual([
      'Deployment/audit container audit: terminationGracePeriodSeconds 28 < preStop sleep 5 + shutdown grace 25',
      'Deployment/auth container auth: no startupProbe',
      'Deployment/auth container auth: no preStop sleep (lifecycle.preStop.sleep) before SIGTERM',
    ]);
  });

  it('a replicated workload without spread, and a Job without a deadline', () => {
    const objects = structuredClone(renders.prod);
    const audit = podTemplate(workload(objects, 'Deployment', 'audit'))?.spec as Record<string, unknown[]>;
    audit.topologySpreadConstraints = audit.topologySpreadConstraints?.slice(0, 1) ?? [];
    delete workload(objects, 'Job', 'gatehouse-migrate').spec.activeDeadlineSeconds;
    expect(checkSpread(objects)).toEqual([
      'Deployment/audit: no topologySpreadConstraint on topology.kubernetes.io/zone selecting its own pods',
    ]);
    expect(checkJobs(objects)).toEqual(['Job/gatehouse-migrate: no activeDeadlineSeconds']);
  });

  it('audit memory below the measured export', () => {
    const objects = structuredClone(renders.prod);
    const audit = containers(objects).find((r) => r.container.name === 'audit')?.container;
    if (audit) audit.resources = { requests: { memory: '128Mi', cpu: '100m' }, limits: { memory: '256Mi' } };
    expect(checkAuditMemory(objects)).toEqual([
      "Deployment/audit: memory request 128Mi < one export's 240Mi",
      "Deployment/audit: memory limit 256Mi < two exports' 480Mi",
    ]);
  });

  it('egress not denied by default, no DNS, a destination no rule allows', () => {
    const objects = structuredClone(renders.dev).filter(
      (o) => !(o.kind === 'NetworkPolicy' && ['default-deny-egress', 'allow-dns'].includes(o.metadata.name)),
    );
    const policy = workload(objects, 'NetworkPolicy', 'gateway').spec as { egress: { to?: unknown[] }[] };
    policy.egress = policy.egress.filter((rule) => !JSON.stringify(rule).includes('"auth"'));
    const problems = checkEgress(objects);
    expect(problems).toContain('no default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules)');
    expect(problems).toContain('Deployment/gateway: no egress to DNS (UDP 53)');
    expect(problems).toContain(
      'Deployment/gateway container gateway: egress to AUTH_URL=http://auth:8081 (port 8081) is not allowed',
    );
    expect(problems).toContain(
      'Deployment/gateway container gateway: egress to JWKS_URL=http://auth:8081 (port 8081) is not allowed',
    );
  });

  it('an upstream or a managed database on a port no rule allows', () => {
    const objects = structuredClone(renders.prod);
    const gateway = containers(objects).find((r) => r.container.name === 'gateway')?.container;
    gateway?.env?.push({ name: 'UPSTREAMS', value: '/api/orders=http://orders.shop:3000' });
    const audit = workload(objects, 'NetworkPolicy', 'audit').spec as { egress: { ports?: { port: number }[] }[] };
    audit.egress = audit.egress.filter((rule) => !rule.ports?.some((p) => p.port === 5432));
    expect(checkEgress(objects)).toEqual([
      'Deployment/audit container audit: egress to DATABASE_URL (Secret gatehouse-database) (port 5432) is not allowed',
      'Deployment/gateway container gateway: egress to UPSTREAMS=http://orders.shop:3000 (port 3000) is not allowed',
    ]);
  });

  it('services without egress to the sentinels REDIS_SENTINELS names, and a Redis exporter on loopback is fine', () => {
    const objects = structuredClone(renders.prod);
    for (const policy of ['gateway', 'auth', 'audit']) {
      const spec = workload(objects, 'NetworkPolicy', policy).spec as { egress: unknown[] };
      spec.egress = spec.egress.filter((rule) => !JSON.stringify(rule).includes('"redis-sentinel"'));
    }
    const problems = checkEgress(objects);
    expect(problems).toContain(
      'Deployment/auth container auth: egress to REDIS_SENTINELS=tcp://redis-sentinel-0.redis-sentinel-headless:26379 (port 26379) is not allowed',
    );
    expect(problems.filter((p) => /26379/.test(p))).toHaveLength(9);
    expect(problems.filter((p) => !/26379/.test(p))).toEqual([]);
  });

  it('an ingress rule open to every source or to an unnamed namespace', () => {
    const objects = structuredClone(renders.prod);
    const gateway = workload(objects, 'NetworkPolicy', 'gateway').spec as { ingress: Record<string, unknown>[] };
    gateway.ingress = [{ ports: [{ port: 8080 }] }, { from: [{ namespaceSelector: {} }] }];
    expect(checkIngressSources(objects)).toEqual([
      'NetworkPolicy/gateway: an ingress rule admits every source',
      'NetworkPolicy/gateway: a namespaceSelector that does not name its namespace',
    ]);
  });
});
