import { resolve } from 'node:path';
import { loadConfig } from '@gatehouse/runtime';
import type { TObject } from '@sinclair/typebox';
import { REPO_ROOT } from './paths.js';
import { type K8sObject, describe as name } from './render.js';
import { type ContainerRef, containers, dataOf, find, matches, resolvePort } from './workloads.js';

/** The services whose images the Dockerfile builds, with their listening ports. */
export const SERVICES = { gateway: 8080, auth: 8081, audit: 8082 } as const;
export type ServiceName = keyof typeof SERVICES;

/** Each service's ConfigSchema (services/<name>/src/config.ts). */
export async function loadConfigSchemas(): Promise<Record<ServiceName, TObject>> {
  const schemas = {} as Record<ServiceName, TObject>;
  for (const service of Object.keys(SERVICES) as ServiceName[]) {
    const file = resolve(REPO_ROOT, 'services', service, 'src/config.ts');
    const module = (await import(file)) as { ConfigSchema?: TObject };
    if (!module.ConfigSchema) throw new Error(`${file} does not export ConfigSchema`);
    schemas[service] = module.ConfigSchema;
  }
  return schemas;
}

/** `gatehouse-auth` (or `gatehouse-auth:tag`) → `auth`. */
export function serviceOfImage(image: string): ServiceName | undefined {
  const match = /^gatehouse-(gateway|auth|audit)(?::[\w.-]+)?$/.exec(image);
  return match ? (match[1] as ServiceName) : undefined;
}

function podsMatching(objects: K8sObject[], selector: Record<string, string> | undefined): ContainerRef[] {
  return containers(objects).filter((ref) => matches(selector, ref.podLabels));
}

/** Services, probes, NetworkPolicies and Ingresses point at ports a container declares. */
export function checkPorts(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const spec = service.spec as {
      selector?: Record<string, string>;
      ports: { port: number; targetPort?: number | string }[];
    };
    const pods = podsMatching(objects, spec.selector).filter((ref) => !ref.isInit);
    if (pods.length === 0) problems.push(`${name(service)}: selector matches no pod template`);
    for (const port of spec.ports) {
      const target = port.targetPort ?? port.port;
      if (pods.length > 0 && !pods.some((ref) => resolvePort(ref.container, target) !== undefined)) {
        problems.push(`${name(service)}: targetPort ${target} is not a port of the selected containers`);
      }
    }
  }
  for (const ref of containers(objects)) {
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const probe = ref.container[kind];
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
      if (port !== undefined && resolvePort(ref.container, port) === undefined) {
        problems.push(`${name(ref.owner)} container ${ref.container.name}: ${kind} port ${port} is not declared`);
      }
    }
  }
  problems.push(...checkNetworkPolicies(objects), ...checkIngresses(objects));
  return problems;
}

type PolicyPeer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown };
type PolicyRule = { from?: PolicyPeer[]; ports?: { port?: number | string }[] };

function checkNetworkPolicies(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const spec = policy.spec as { podSelector: { matchLabels?: Record<string, string> }; ingress?: PolicyRule[] };
    const selected = podsMatching(objects, spec.podSelector.matchLabels);
    if (selected.length === 0) problems.push(`${name(policy)}: podSelector matches no pod template`);
    for (const rule of spec.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        if (
          peer.podSelector &&
          !peer.namespaceSelector &&
          podsMatching(objects, peer.podSelector.matchLabels).length === 0
        ) {
          problems.push(
            `${name(policy)}: from podSelector ${JSON.stringify(peer.podSelector.matchLabels)} matches no pod`,
          );
        }
      }
      for (const { port } of rule.ports ?? []) {
        if (port !== undefined && !selected.some((ref) => resolvePort(ref.container, port) !== undefined)) {
          problems.push(`${name(policy)}: port ${port} is not a port of the selected containers`);
        }
      }
    }
  }
  return problems;
}

function checkIngresses(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
    const rules =
      (
        ingress.spec as {
          rules?: {
            http?: { paths: { backend: { service?: { name: string; port: { name?: string; number?: number } } } }[] };
          }[];
        }
      ).rules ?? [];
    for (const path of rules.flatMap((r) => r.http?.paths ?? [])) {
      const backend = path.backend.service;
      if (!backend) continue;
      const service = find(objects, 'Service', backend.name);
      const ports = (service?.spec as { ports?: { name?: string; port: number }[] } | undefined)?.ports ?? [];
      if (!ports.some((p) => p.name === backend.port.name || p.port === backend.port.number)) {
        problems.push(
          `${name(ingress)}: backend ${backend.name}:${backend.port.name ?? backend.port.number} does not exist`,
        );
      }
    }
  }
  return problems;
}

/** Collects what a container's environment will hold: literal values, or undefined for valueFrom entries. */
export function containerEnv(
  objects: K8sObject[],
  ref: ContainerRef,
): { env: Map<string, string | undefined>; problems: string[] } {
  const env = new Map<string, string | undefined>();
  const problems: string[] = [];
  for (const source of ref.container.envFrom ?? []) {
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const refName = source.configMapRef?.name ?? source.secretRef?.name ?? '';
    const object = find(objects, kind, refName);
    if (!object) {
      problems.push(
        `${name(ref.owner)} container ${ref.container.name}: envFrom ${kind} ${refName} is not in the render, so its keys cannot be checked (use env with valueFrom)`,
      );
      continue;
    }
    for (const [key, value] of Object.entries(dataOf(object))) env.set(key, value);
  }
  for (const entry of ref.container.env ?? []) env.set(entry.name, entry.valueFrom ? undefined : (entry.value ?? ''));
  return { env, problems };
}

function isRequired(schema: TObject, key: string): boolean {
  const property = schema.properties[key] as { default?: unknown } | undefined;
  return (schema.required ?? []).includes(key) && property?.default === undefined;
}

/**
 * Every variable a manifest sets for a service container is one its
 * ConfigSchema knows, literal values pass the schema, every required variable
 * is set for the long-running containers, and PORT matches the declared port.
 */
export function checkEnv(objects: K8sObject[], schemas: Record<ServiceName, TObject>): string[] {
  const problems: string[] = [];
  for (const ref of containers(objects)) {
    const service = serviceOfImage(ref.container.image);
    if (!service) continue;
    const schema = schemas[service];
    const where = `${name(ref.owner)} container ${ref.container.name} (${service})`;
    const { env, problems: sourceProblems } = containerEnv(objects, ref);
    problems.push(...sourceProblems);
    for (const key of env.keys()) {
      // OTEL_* are read by the OpenTelemetry SDK the images preload (packages/telemetry).
      if (!(key in schema.properties) && !key.startsWith('OTEL_'))
        problems.push(`${where}: ${key} is not in services/${service}/src/config.ts ConfigSchema`);
    }
    const literal = Object.fromEntries([...env].map(([k, v]) => [k, v ?? 'set-from-valueFrom']));
    try {
      const config = loadConfig(schema, literal) as Record<string, unknown>;
      if (ref.owner.kind === 'Deployment' && !ref.isInit) {
        const declared = resolvePort(ref.container, 'http');
        if (declared !== config.PORT)
          problems.push(`${where}: listens on PORT ${config.PORT} but declares http port ${declared}`);
      }
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
    if (ref.owner.kind !== 'Deployment' || ref.isInit) continue;
    for (const key of Object.keys(schema.properties)) {
      if (isRequired(schema, key) && !env.has(key)) problems.push(`${where}: required ${key} is not set`);
    }
  }
  return problems;
}

/** URLs in service environments whose host is a bare name point at a rendered Service port. */
export function checkServiceUrls(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const ref of containers(objects)) {
    if (!serviceOfImage(ref.container.image)) continue;
    const { env } = containerEnv(objects, ref);
    for (const entry of ref.container.env ?? []) {
      const secretRef = entry.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
      const secret = secretRef && find(objects, 'Secret', secretRef.name);
      if (secret && secretRef) env.set(entry.name, dataOf(secret)[secretRef.key]);
    }
    for (const [key, value] of env) {
      if (!value || !/^[a-z]+:\/\//.test(value)) continue;
      const url = new URL(value);
      if (url.hostname.includes('.') || url.hostname === 'localhost') continue;
      const service = find(objects, 'Service', url.hostname);
      const port = Number(url.port || { 'http:': 80, 'https:': 443, 'redis:': 6379, 'postgres:': 5432 }[url.protocol]);
      const ports = (service?.spec as { ports?: { port: number }[] } | undefined)?.ports ?? [];
      if (!ports.some((p) => p.port === port)) {
        problems.push(
          `${name(ref.owner)} ${key}=${url.protocol}//${url.host}: no Service ${url.hostname} with port ${port}`,
        );
      }
    }
  }
  return problems;
}

/** Whether an image names fixed content: a version tag (for the reader) and its digest. */
function isPinned(image: string): boolean {
  return /^[^@\s]+:[\w.-]+@sha256:[0-9a-f]{64}$/.test(image) && !image.includes(':latest@');
}

/** Images in pod templates that are neither built by skaffold nor pinned by digest. */
export function unpinnedImages(objects: K8sObject[], built: Set<string>): string[] {
  return [...usedImages(objects)].filter((image) => !built.has(image) && !isPinned(image));
}

/** Images used by the pod templates of a render. */
export function usedImages(objects: K8sObject[]): Set<string> {
  return new Set(containers(objects).map((ref) => ref.container.image));
}

/**
 * Files and folders named by `*_FILE`, `*_FILES` and `*_DIR` variables lie on
 * a mounted volume: the root filesystem is read-only, and keys come from
 * Secrets. A relative path (the services' developer defaults) never passes.
 */
export function checkPathsMounted(objects: K8sObject[], schemas: Record<ServiceName, TObject>): string[] {
  const problems: string[] = [];
  for (const ref of containers(objects)) {
    const service = serviceOfImage(ref.container.image);
    if (!service || ref.owner.kind !== 'Deployment' || ref.isInit) continue;
    const { env } = containerEnv(objects, ref);
    const mounts = (ref.container.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/+$/, ''));
    for (const key of Object.keys(schemas[service].properties).filter((k) => /_(FILE|FILES|DIR)$/.test(k))) {
      const fallback = (schemas[service].properties[key] as { default?: unknown }).default;
      const value = env.get(key) ?? (typeof fallback === 'string' ? fallback : '');
      for (const path of value
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')) {
        if (!mounts.some((m) => path === m || path.startsWith(`${m}/`))) {
          problems.push(
            `${name(ref.owner)} container ${ref.container.name}: ${key}=${path} is not on a mounted volume`,
          );
        }
      }
    }
  }
  return problems;
}
