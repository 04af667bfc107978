import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

type Generator = { files?: string[]; envs?: string[] };
type Kustomization = {
  resources?: string[];
  components?: string[];
  patches?: { path?: string }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
};

/** Every file a kustomization uses, following the folders it includes. */
function referencedFiles(root: string, seen = new Set<string>()): Set<string> {
  const file = join(root, 'kustomization.yaml');
  if (seen.has(file)) return seen;
  seen.add(file);
  const k = parse(readFileSync(file, 'utf8')) as Kustomization;
  const generated = [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])].flatMap((g) => [
    ...(g.files ?? []).map((f) => f.slice(f.indexOf('=') + 1)),
    ...(g.envs ?? []),
  ]);
  const paths = [
    ...(k.resources ?? []),
    ...(k.components ?? []),
    ...(k.patches ?? []).flatMap((p) => p.path ?? []),
    ...generated,
  ];
  for (const path of paths.map((p) => resolve(root, p))) {
    if (existsSync(path) && statSync(path).isDirectory()) referencedFiles(path, seen);
    else seen.add(path);
  }
  return seen;
}

/** Every file under a folder. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Files under `k8sDir` that no overlay uses (READMEs aside), and references to files that do not exist. */
export function unusedAndMissing(k8sDir: string, overlays: string[]): { unused: string[]; missing: string[] } {
  const used = new Set<string>();
  for (const overlay of overlays) for (const f of referencedFiles(overlay)) used.add(f);
  const unused = filesUnder(k8sDir).filter((f) => !used.has(f) && !f.endsWith('README.md'));
  const missing = [...used].filter((f) => !existsSync(f));
  const componentsWithoutReadme = readdirSync(join(k8sDir, 'components'))
    .map((c) => join(k8sDir, 'components', c, 'README.md'))
    .filter((readme) => !existsSync(readme));
  return { unused, missing: [...missing, ...componentsWithoutReadme.map((r) => `${dirname(r)} has no README.md`)] };
}
