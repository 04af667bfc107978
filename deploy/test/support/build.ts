import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { parseYamlDocuments } from './render.js';

/** The parts of a skaffold artifact the checks read. */
export interface Artifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string; target?: string };
  sync?: { manual?: { src: string; dest: string }[] };
}

/** The parts of a skaffold config the checks read. */
export interface SkaffoldConfig {
  apiVersion?: string;
  build?: { artifacts?: Artifact[] };
  manifests?: { kustomize?: { paths?: string[] } };
  portForward?: { resourceType: string; resourceName: string; port: number | string; localPort?: number }[];
  profiles?: (Omit<SkaffoldConfig, 'profiles'> & { name: string; activation?: { command?: string }[] })[];
}

/** The documents of the repository's skaffold.yaml. */
export function loadSkaffold(): SkaffoldConfig[] {
  return parseYamlDocuments(
    readFileSync(resolve(REPO_ROOT, 'skaffold.yaml'), 'utf8'),
    'skaffold.yaml',
  ) as SkaffoldConfig[];
}

/** Every artifact of a config, its profiles' included, with where it comes from. */
export function allArtifacts(config: SkaffoldConfig): { where: string; artifact: Artifact }[] {
  const top = (config.build?.artifacts ?? []).map((artifact) => ({ where: 'build', artifact }));
  const fromProfiles = (config.profiles ?? []).flatMap((p) =>
    (p.build?.artifacts ?? []).map((artifact) => ({ where: `profile ${p.name}`, artifact })),
  );
  return [...top, ...fromProfiles];
}

/** A Dockerfile's stages: target name → the instructions in it. */
export function dockerStages(text: string): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  let current: string[] | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines.map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [];
      stages.set(from[1] ?? `#${stages.size}`, current);
      continue;
    }
    current?.push(line);
  }
  return stages;
}

function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .split('**/')
    .map((part) =>
      part
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]'),
    )
    .join('(?:.*/)?');
  return new RegExp(`^${pattern}$`);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** Files under `root` that a skaffold sync glob (relative to it) matches. */
export function globFiles(root: string, glob: string): string[] {
  const literal = glob.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((p) => /[*?[]/.test(p)));
  const base = join(root, ...literal);
  if (!existsSync(base)) return [];
  const regex = globToRegExp(glob);
  return walk(base).filter((file) => regex.test(relative(root, file)));
}
