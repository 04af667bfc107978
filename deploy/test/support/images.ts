import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ensureConsoleBuilt } from '@gatehouse/console';
import type { Artifact, SkaffoldConfig } from './build.js';
import { REPO_ROOT } from './paths.js';

/** The two kinds of image the Dockerfile makes: `*-dev` targets and the production ones. */
export type ImageKind = 'dev' | 'release';

/** What a Dockerfile target gives a container: its file layout, ENV and CMD. */
export interface ImageConfig {
  target: string;
  kind: ImageKind;
  env: Record<string, string>;
  cmd: string[];
}

type Stage = { from: string; lines: string[] };

function stagesWithParents(dockerfile: string): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  let current: Stage | undefined;
  for (const line of dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = { from: from[1] as string, lines: [] };
      stages.set(from[2] ?? `#${stages.size}`, current);
    } else current?.lines.push(line);
  }
  return stages;
}

/**
 * The ENV and CMD a Dockerfile target ends up with (its stage and the stages
 * it is built FROM), and which file layout it has: a target built on the
 * `release` stage holds production dependencies and the build output, one
 * built on `dev` the sources and every dependency.
 */
function imageConfig(dockerfile: string, target: string): ImageConfig {
  const stages = stagesWithParents(dockerfile);
  const chain: string[] = [];
  for (let name: string | undefined = target; name && stages.has(name); name = stages.get(name)?.from) {
    chain.unshift(name);
  }
  if (chain.length === 0) throw new Error(`no Dockerfile stage ${target}`);
  const env: Record<string, string> = {};
  let cmd: string[] = [];
  for (const line of chain.flatMap((name) => stages.get(name)?.lines ?? [])) {
    if (/^ENV\s/i.test(line)) {
      for (const match of line.slice(4).matchAll(/([A-Za-z_][\w]*)=(?:"([^"]*)"|(\S+))/g)) {
        env[match[1] as string] = match[2] ?? match[3] ?? '';
      }
    }
    if (/^CMD\s/i.test(line)) cmd = JSON.parse(line.slice(4).trim()) as string[];
  }
  const kind = chain.includes('release') ? 'release' : chain.includes('dev') ? 'dev' : undefined;
  if (!kind) throw new Error(`Dockerfile target ${target} is built on neither the release nor the dev stage`);
  return { target, kind, env, cmd };
}

/** One way skaffold deploys: an overlay and the Dockerfile target of each image. */
export interface SkaffoldDeploy {
  name: string;
  overlay: string;
  images: Map<string, ImageConfig>;
}

/** What `skaffold run`, and `skaffold dev`/`run -p <profile>` for each profile, deploy. */
export function skaffoldDeploys(config: SkaffoldConfig, dockerfile: string): SkaffoldDeploy[] {
  const overlayOf = (c: Pick<SkaffoldConfig, 'manifests'>) => c.manifests?.kustomize?.paths?.[0];
  const imagesOf = (artifacts: Artifact[]) =>
    new Map(artifacts.map((a) => [a.image, imageConfig(dockerfile, a.docker?.target ?? '')]));
  const defaults = { overlay: overlayOf(config) as string, artifacts: config.build?.artifacts ?? [] };
  return [
    { name: 'skaffold run', overlay: defaults.overlay, images: imagesOf(defaults.artifacts) },
    ...(config.profiles ?? []).map((profile) => ({
      name: `profile ${profile.name}`,
      overlay: overlayOf(profile) ?? defaults.overlay,
      images: imagesOf(profile.build?.artifacts ?? defaults.artifacts),
    })),
  ];
}

/** The patterns of .dockerignore (the few forms it uses: `**\/name`, `name`, `*.ext`). */
function dockerIgnored(): (path: string) => boolean {
  const patterns = readFileSync(resolve(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return (path) => {
    const parts = path.split('/');
    return patterns.some((pattern) => {
      if (pattern.startsWith('**/')) return parts.includes(pattern.slice(3));
      if (pattern.startsWith('*.')) return path.endsWith(pattern.slice(1));
      return path === pattern || path.startsWith(`${pattern}/`);
    });
  };
}

/** The files `COPY . .` puts into an image: the checkout's files (tracked or not) minus .dockerignore. */
function contextFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const ignored = dockerIgnored();
  return listed.split('\0').filter((f) => f !== '' && !ignored(f) && existsSync(resolve(REPO_ROOT, f)));
}

/** The production packages `npm ci --omit=dev` installs at the top of node_modules. */
function productionPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && !entry.dev)
      .map(([path]) => path.slice('node_modules/'.length)),
  );
}

/**
 * node_modules for a tree without copying it: one symlink per installed
 * package to the checkout's copy, except the workspace links, which are
 * recreated relative so that `@gatehouse/*` resolve to the tree's own
 * packages (a symlinked node_modules folder would resolve them to the
 * checkout, dist/ included).
 */
function linkNodeModules(tree: string, keep: (name: string) => boolean, withBin: boolean): void {
  const from = resolve(REPO_ROOT, 'node_modules');
  const to = join(tree, 'node_modules');
  const names = readdirSync(from).flatMap((entry) =>
    entry.startsWith('@') ? readdirSync(join(from, entry)).map((sub) => `${entry}/${sub}`) : [entry],
  );
  for (const name of names) {
    if (name === '.bin' ? !withBin : name.startsWith('.') || !keep(name)) continue;
    const source = join(from, name);
    const target = join(to, name);
    mkdirSync(dirname(target), { recursive: true });
    const link = lstatSync(source).isSymbolicLink() ? readlinkSync(source) : undefined;
    symlinkSync(link && !link.startsWith('/') && name.startsWith('@gatehouse/') ? link : source, target);
  }
}

/** Workspace folders (packages/*, services/*) of the checkout. */
function workspaces(): string[] {
  return ['packages', 'services'].flatMap((group) =>
    readdirSync(resolve(REPO_ROOT, group)).map((name) => `${group}/${name}`),
  );
}

/**
 * Builds the file layout of each image kind under `scratch`, as the
 * Dockerfile does:
 * - dev: the build context (`COPY . .` minus .dockerignore, so no dist/)
 *   and every dependency;
 * - release: the package manifests, production dependencies, each
 *   workspace's bin/, dist/ and migrations/ from the build, and the
 *   migration Job's script (no sources).
 * The build output comes from the checkout's own `tsc -b` (incremental: a
 * no-op after `npm test`'s typecheck) and the console's Vite build.
 */
export async function buildImageTrees(scratch: string): Promise<Record<ImageKind, string>> {
  const dev = join(scratch, 'dev');
  for (const file of contextFiles()) cpSync(resolve(REPO_ROOT, file), join(dev, file));
  linkNodeModules(dev, () => true, true);

  execFileSync(process.execPath, [resolve(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  await ensureConsoleBuilt();
  const release = join(scratch, 'release');
  const manifests = contextFiles().filter((f) => /(^|\/)package(-lock)?\.json$/.test(f));
  for (const file of manifests) cpSync(resolve(REPO_ROOT, file), join(release, file));
  for (const dir of workspaces()) {
    for (const part of ['bin', 'dist', 'migrations']) {
      const source = resolve(REPO_ROOT, dir, part);
      if (existsSync(source)) cpSync(source, join(release, dir, part), { recursive: true });
    }
  }
  cpSync(resolve(REPO_ROOT, 'deploy/docker/migrate.mjs'), join(release, 'deploy/docker/migrate.mjs'));
  const production = productionPackages();
  linkNodeModules(release, (name) => production.has(name), false);
  return { dev, release };
}
