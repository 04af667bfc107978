import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, waitFor } from '@gatehouse/runtime/testing';
import type { ImageConfig, ImageKind } from './images.js';
import { type K8sObject, describe as name } from './render.js';
import { type Container, dataOf, find, matches, podTemplate } from './workloads.js';

/** The test's stand-ins for what the cluster would provide. */
export interface Backing {
  redisUrl: string;
  databaseUrl: string;
  /** `host:port,…` of a sentinel group monitoring `gatehouse`, for a render whose services use Sentinel. */
  sentinels?: string;
}

/** Values for keys of Secrets the overlay expects the operator to create. */
const SECRET_KEYS: Record<string, (b: Backing) => string> = {
  DATABASE_URL: (b) => b.databaseUrl,
  REDIS_URL: (b) => b.redisUrl,
};

/**
 * The one value the test changes: on a loaded 2-core test machine the event
 * loop of a starting service stalls for more than the manifests' 1 s Redis
 * command timeout, and audit exits when a BullMQ queue's first command times
 * out during start-up (reported; services/audit is not this test's subject).
 */
const LOADED_MACHINE = { REDIS_COMMAND_TIMEOUT_MS: '10000' };

type Volume = {
  name: string;
  emptyDir?: unknown;
  secret?: { secretName: string };
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
};
type PodSpec = {
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
};
type RunContainer = Container & {
  args?: string[];
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
};

/** A process started for one container, with its last output lines. */
interface Started {
  where: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const running = new Set<Started>();

/** SIGKILLs whatever a failed run left behind. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (started) => {
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
      await started.exited;
    }),
  );
}

function tail(started: Started): string {
  return started.output.slice(-25).join('\n');
}

/**
 * Runs every container of a render whose image skaffold builds, the way a
 * cluster would run it, and returns what went wrong (empty when all is well):
 * - each Deployment as one pod: init containers in order, then its
 *   containers, which must answer 200 on every httpGet probe path and, on
 *   SIGTERM, exit within terminationGracePeriodSeconds less the preStop sleep;
 * - each Job: init containers in order, then its containers, which must exit
 *   0 within activeDeadlineSeconds;
 * the command is the manifest's command/args, else the image's CMD; the
 * environment the image's ENV plus the manifest's env (ConfigMaps as
 * rendered, absent Secrets from {@link SECRET_KEYS} and generated keys);
 * Service hostnames point at the containers run here and at the test's
 * Redis and PostgreSQL, sentinel pods (`REDIS_SENTINELS`) at its sentinel
 * group; every volume is a folder of `scratch`.
 */
export async function runRender(
  objects: K8sObject[],
  images: Map<string, ImageConfig>,
  trees: Record<ImageKind, string>,
  backing: Backing,
  scratch: string,
): Promise<string[]> {
  const problems: string[] = [];
  const owners = objects.filter((o) => {
    const template = podTemplate(o);
    return (
      template &&
      [...(template.spec.initContainers ?? []), ...template.spec.containers].some((c) => images.has(c.image))
    );
  });
  // A free port for every declared port of the workloads run here.
  const ports = new Map<string, number>();
  for (const owner of owners) {
    for (const c of podTemplate(owner)?.spec.containers ?? []) {
      for (const p of c.ports ?? []) ports.set(`${owner.metadata.name}/${p.containerPort}`, await freePort());
    }
  }
  const context: Context = { objects, images, trees, backing, scratch, ports, problems };
  const pods = owners.map(async (owner) => {
    try {
      await runPod(context, owner);
    } catch (err) {
      problems.push(`${name(owner)}: ${(err as Error).message}`);
    }
  });
  await Promise.all(pods);
  return problems.sort();
}

interface Context {
  objects: K8sObject[];
  images: Map<string, ImageConfig>;
  trees: Record<ImageKind, string>;
  backing: Backing;
  scratch: string;
  ports: Map<string, number>;
  problems: string[];
}

/**
 * Runs a container to completion as a Job's (restartPolicy OnFailure) or an
 * init container would: a failed run is retried, as the kubelet does, up to
 * `retries` times; returns the last run.
 */
async function runToEnd(
  ctx: Context,
  owner: K8sObject,
  container: RunContainer,
  volumes: Map<string, VolumeDir>,
  timeoutMs: number,
): Promise<{ code: number | null | undefined; last: Started }> {
  for (let attempt = 0; ; attempt++) {
    const last = start(ctx, owner, container, volumes);
    const code = await within(last.exited, timeoutMs);
    if (code === undefined) {
      // A hung container does not get better by running it again.
      last.child.kill('SIGKILL');
      last.output.push(`(still running after ${timeoutMs / 1000} s: killed)`);
      return { code, last };
    }
    if (code === 0 || attempt >= RETRIES) return { code, last };
  }
}

/** How often a crashed container is started again (the kubelet would go on, with back-off). */
const RETRIES = 2;

/** A long-running container: started again when it exits, as restartPolicy Always does. */
function supervise(ctx: Context, owner: K8sObject, container: RunContainer, volumes: Map<string, VolumeDir>) {
  let current = start(ctx, owner, container, volumes);
  let stopping = false;
  let restarts = 0;
  const loop = async () => {
    for (;;) {
      await current.exited;
      if (stopping || restarts >= RETRIES) return;
      restarts++;
      current = start(ctx, owner, container, volumes);
    }
  };
  const done = loop();
  return {
    current: () => current,
    gaveUp: () => !stopping && restarts >= RETRIES && current.child.exitCode !== null,
    stop: async (ms: number) => {
      stopping = true;
      current.child.kill('SIGTERM');
      const code = await within(current.exited, ms);
      if (code === undefined) current.child.kill('SIGKILL');
      await done;
      return code;
    },
  };
}

async function runPod(ctx: Context, owner: K8sObject): Promise<void> {
  const spec = podTemplate(owner)?.spec as PodSpec;
  const volumes = podVolumes(ctx, owner, spec);
  for (const container of spec.initContainers ?? []) {
    const { code, last } = await runToEnd(ctx, owner, container, volumes, 90_000);
    if (code !== 0) throw new Error(`init container ${container.name} exited ${code}:\n${tail(last)}`);
  }
  if (owner.kind === 'Job') {
    const deadline = (owner.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds;
    const runs = spec.containers.map(async (container) => {
      const { code, last } = await runToEnd(ctx, owner, container, volumes, Math.min(deadline ?? 90, 90) * 1000);
      if (code !== 0) ctx.problems.push(`${name(owner)} container ${container.name} exited ${code}:\n${tail(last)}`);
    });
    await Promise.all(runs);
    return;
  }
  const running = spec.containers.map((container) => ({ container, run: supervise(ctx, owner, container, volumes) }));
  await Promise.all(
    running.map(async ({ container, run }) => {
      const probes = [container.startupProbe, container.readinessProbe, container.livenessProbe];
      for (const probe of probes) {
        const get = probe?.httpGet;
        if (!get) continue;
        const declared =
          typeof get.port === 'number' ? get.port : container.ports?.find((p) => p.name === get.port)?.containerPort;
        const url = `http://127.0.0.1:${ctx.ports.get(`${owner.metadata.name}/${declared}`)}${get.path ?? '/'}`;
        try {
          await waitFor(
            async () => {
              if (run.gaveUp()) throw new Error('crashed');
              return (await fetch(url)).status === 200;
            },
            90_000,
            url,
          );
        } catch {
          ctx.problems.push(
            `${name(owner)} container ${container.name}: ${get.path} never answered 200:\n${tail(run.current())}`,
          );
          return;
        }
      }
    }),
  );
  const grace = spec.terminationGracePeriodSeconds ?? 30;
  await Promise.all(
    running.map(async ({ container, run }) => {
      const preStop = (container as RunContainer).lifecycle?.preStop?.sleep?.seconds ?? 0;
      const code = await run.stop(Math.max(grace - preStop, 1) * 1000);
      if (code === undefined) {
        ctx.problems.push(
          `${name(owner)} container ${container.name}: still running ${grace - preStop} s after SIGTERM (terminationGracePeriodSeconds ${grace} less preStop ${preStop})`,
        );
      }
    }),
  );
}

/** The exit code, or undefined when the process was still running after `ms` (then it is killed). */
async function within(exited: Promise<number | null>, ms: number): Promise<number | null | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const result = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  return result;
}

/** Each volume of a pod as a folder; claims are shared between pods, like a ReadWriteMany claim. */
function podVolumes(ctx: Context, owner: K8sObject, spec: PodSpec): Map<string, VolumeDir> {
  const dirs = new Map<string, VolumeDir>();
  for (const volume of spec.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName;
    const dir = join(ctx.scratch, claim ? `claims/${claim}` : `pods/${owner.metadata.name}/${volume.name}`);
    mkdirSync(dir, { recursive: true });
    const source = volume.secret
      ? find(ctx.objects, 'Secret', volume.secret.secretName)
      : volume.configMap && find(ctx.objects, 'ConfigMap', volume.configMap.name);
    if (volume.configMap && !source)
      throw new Error(`volume ${volume.name}: ConfigMap ${volume.configMap.name} is not rendered`);
    for (const [key, value] of Object.entries(source ? dataOf(source) : {})) writeFileSync(join(dir, key), value);
    dirs.set(volume.name, { dir, operatorSecret: volume.secret !== undefined && !source });
  }
  return dirs;
}

/** A volume's folder; `operatorSecret` when it mounts a Secret the render does not hold. */
type VolumeDir = { dir: string; operatorSecret: boolean };
type Mount = VolumeDir & { mountPath: string };

function mountOf(path: string, mounts: Mount[]): Mount | undefined {
  return mounts.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
}

/** `/var/run/x/key.pem` → the folder standing in for the volume mounted at `/var/run/x`. */
function mapPath(path: string, mounts: Mount[]): string | undefined {
  const mount = mountOf(path, mounts);
  return mount && join(mount.dir, path.slice(mount.mountPath.length));
}

function start(ctx: Context, owner: K8sObject, container: RunContainer, volumes: Map<string, VolumeDir>): Started {
  const where = `${name(owner)} container ${container.name}`;
  const image = ctx.images.get(container.image);
  if (!image) throw new Error(`${where}: image ${container.image} is not built by skaffold`);
  const tree = ctx.trees[image.kind];
  const mounts = (container.volumeMounts ?? []).map((m) => {
    const volume = volumes.get(m.name);
    if (!volume) throw new Error(`${where}: volumeMount ${m.name} names no volume`);
    return { ...volume, mountPath: m.mountPath };
  });
  const env = containerEnv(ctx, owner, container, image, mounts);
  const readOnly = container.securityContext?.readOnlyRootFilesystem === true;
  // The root filesystem is read-only unless the manifest says otherwise: /tmp
  // is only writable when a volume is mounted there (/proc takes no new
  // folder, even from root). The writable ones share one folder, so that
  // tsx's cache of compiled sources is warm after the first container.
  const tmpWritable = mapPath('/tmp', mounts) !== undefined || !readOnly;
  env.TMPDIR = tmpWritable ? join(ctx.scratch, 'tmp') : '/proc/gatehouse-read-only-root/tmp';
  if (tmpWritable) mkdirSync(env.TMPDIR, { recursive: true });
  const expand = (arg: string) => arg.replace(/\$\(([A-Za-z_]\w*)\)/g, (all, key: string) => env[key] ?? all);
  const argv = [...(container.command ?? []), ...(container.args ?? (container.command ? [] : image.cmd))].map(expand);
  const [command, ...args] = argv;
  if (!command) throw new Error(`${where}: no command (neither the manifest nor the image's CMD gives one)`);
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: tree,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const started: Started = {
    where,
    child,
    output,
    exited: new Promise((resolve) => {
      child.once('error', (err) => {
        output.push(String(err));
        resolve(-1);
      });
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    }),
  };
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

function containerEnv(
  ctx: Context,
  owner: K8sObject,
  container: RunContainer,
  image: ImageConfig,
  mounts: Mount[],
): Record<string, string> {
  const where = `${name(owner)} container ${container.name}`;
  const env: Record<string, string> = {
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: join(ctx.scratch, 'home'),
    ...image.env,
  };
  const secretValue = (secretName: string, key: string): string => {
    const secret = find(ctx.objects, 'Secret', secretName);
    if (secret) return dataOf(secret)[key] ?? '';
    const value = SECRET_KEYS[key];
    if (!value) throw new Error(`${where}: no test value for key ${key} of the Secret ${secretName}`);
    return value(ctx.backing);
  };
  for (const source of container.envFrom ?? []) {
    const refName = source.configMapRef?.name ?? source.secretRef?.name ?? '';
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const object = find(ctx.objects, kind, refName);
    if (!object) throw new Error(`${where}: envFrom ${kind} ${refName} is not rendered`);
    Object.assign(env, dataOf(object));
  }
  for (const entry of container.env ?? []) {
    const from = entry.valueFrom as
      | {
          secretKeyRef?: { name: string; key: string };
          configMapKeyRef?: { name: string; key: string };
          fieldRef?: { fieldPath: string };
        }
      | undefined;
    if (!from) env[entry.name] = entry.value ?? '';
    else if (from.secretKeyRef) env[entry.name] = secretValue(from.secretKeyRef.name, from.secretKeyRef.key);
    else if (from.configMapKeyRef) {
      const map = find(ctx.objects, 'ConfigMap', from.configMapKeyRef.name);
      env[entry.name] = (map && dataOf(map)[from.configMapKeyRef.key]) ?? '';
    } else if (from.fieldRef) {
      const fields: Record<string, string> = {
        'metadata.name': `${owner.metadata.name}-0`,
        'metadata.namespace': owner.metadata.namespace ?? 'default',
        'status.podIP': '127.0.0.1',
      };
      env[entry.name] = fields[from.fieldRef.fieldPath] ?? '';
    }
  }
  for (const [key, value] of Object.entries(env)) {
    if (key === 'PATH' || key === 'HOME') continue;
    env[key] = value
      .split(',')
      .map((part) => mapValue(ctx, owner, part, mounts))
      .join(',');
  }
  Object.assign(env, LOADED_MACHINE);
  const port = ctx.ports.get(`${owner.metadata.name}/${env.PORT}`);
  if (port) env.PORT = String(port);
  if (env.HOST === '0.0.0.0') env.HOST = '127.0.0.1';
  return env;
}

/** Rewrites a mounted path to its folder, and a URL to a Service to what stands in for it. */
function mapValue(ctx: Context, owner: K8sObject, value: string, mounts: Mount[]): string {
  if (value.startsWith('/')) {
    const path = mapPath(value, mounts);
    // A file on a Secret the operator creates: the key it would hold.
    if (path && mountOf(value, mounts)?.operatorSecret && !existsSync(path)) writeKey(path);
    return path ?? value;
  }
  const address = /^([a-z0-9-]+)\.([a-z0-9-]+):(\d+)$/i.exec(value);
  if (address) return mapPodAddress(ctx, owner, value, address[1] as string, address[2] as string, Number(address[3]));
  const match = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([a-z0-9.-]+)(?::(\d+))?(\/.*)?$/i.exec(value);
  if (!match) return value;
  const [, scheme, host, portText, path = ''] = match as unknown as [
    string,
    string,
    string,
    string | undefined,
    string,
  ];
  // `auth`, or `auth.<namespace>.svc[.cluster.local]`: other names are outside the cluster.
  if (host.includes('.') && !/\.svc(\.cluster\.local)?$/.test(host)) return value;
  const serviceName = host.split('.')[0] as string;
  const service = find(ctx.objects, 'Service', serviceName);
  if (!service) return value;
  const spec = service.spec as {
    selector?: Record<string, string>;
    ports: { port: number; targetPort?: number | string }[];
  };
  const defaults: Record<string, number> = {
    http: 80,
    https: 443,
    redis: 6379,
    rediss: 6380,
    postgres: 5432,
    postgresql: 5432,
  };
  const servicePort = spec.ports.find((p) => p.port === Number(portText ?? defaults[scheme as string]));
  for (const workload of ctx.objects) {
    const template = podTemplate(workload);
    if (!template || !matches(spec.selector, template.metadata?.labels ?? {})) continue;
    const [container] = template.spec.containers;
    if (!container || !servicePort) continue;
    const target = servicePort.targetPort ?? servicePort.port;
    const containerPort =
      typeof target === 'number' ? target : container.ports?.find((p) => p.name === target)?.containerPort;
    const local = ctx.ports.get(`${workload.metadata.name}/${containerPort}`);
    if (local) return `${scheme}://127.0.0.1:${local}${path}`;
    if (/^redis[:@]/.test(container.image)) return ctx.backing.redisUrl;
    if (/^postgres[:@]/.test(container.image)) return ctx.backing.databaseUrl;
  }
  ctx.problems.push(`${name(owner)}: ${value} names Service ${serviceName}, which this test cannot stand in for`);
  return value;
}

/**
 * `pod.headless-service:port` (REDIS_SENTINELS): a sentinel of the rendered
 * group becomes the sentinel of the test's group with the pod's ordinal.
 */
function mapPodAddress(
  ctx: Context,
  owner: K8sObject,
  value: string,
  pod: string,
  serviceName: string,
  port: number,
): string {
  const spec = find(ctx.objects, 'Service', serviceName)?.spec as
    | { clusterIP?: string; selector?: Record<string, string> }
    | undefined;
  if (spec?.clusterIP !== 'None') return value;
  const { selector } = spec;
  const workload = ctx.objects.find(
    (o) => o.kind === 'StatefulSet' && matches(selector, podTemplate(o)?.metadata?.labels ?? {}),
  );
  const prefix = `${workload?.metadata.name}-`;
  const isSentinel =
    workload &&
    pod.startsWith(prefix) &&
    podTemplate(workload)?.spec.containers.some(
      (c) => /^redis[:@]/.test(c.image) && c.ports?.some((p) => p.containerPort === port && port === 26379),
    );
  const sentinels = ctx.backing.sentinels?.split(',') ?? [];
  if (isSentinel && sentinels.length > 0)
    return sentinels[Number(pod.slice(prefix.length)) % sentinels.length] as string;
  ctx.problems.push(
    `${name(owner)}: ${value} names a pod of Service ${serviceName}, which this test cannot stand in for`,
  );
  return value;
}

/**
 * A generated key, as the operator's key Secrets hold (docs/deploy.md): an
 * Ed25519 private key (PKCS#8 PEM) for a `.pem` file, else 32 random bytes in
 * base64 (`openssl rand -base64 32`, the MFA sealing key).
 */
function writeKey(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const key = path.endsWith('.pem')
    ? generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })
    : `${randomBytes(32).toString('base64')}\n`;
  writeFileSync(path, key, { mode: 0o440 });
}
