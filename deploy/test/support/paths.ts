import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is deploy/test/support/paths.ts). */
export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

/** The overlays every check renders. */
export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** `deploy/k8s/overlays/<name>` as an absolute path. */
export function overlayDir(name: string): string {
  return resolve(REPO_ROOT, 'deploy/k8s/overlays', name);
}

/** A folder beside the checkout, or beside the local repository it was cloned from. */
function besideRepository(name: string): string[] {
  const candidates = [resolve(REPO_ROOT, '..', name)];
  try {
    const origin = execFileSync('git', ['config', '--get', 'remote.origin.url'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (origin.trim().startsWith('/')) candidates.push(resolve(origin.trim(), '..', name));
  } catch {
    // not a git checkout, or no origin: only the folder beside it
  }
  return candidates;
}

const hasSchemas = (dir: string) => existsSync(resolve(dir, 'k8s')) && existsSync(resolve(dir, 'skaffold'));

/**
 * The JSON Schema folder: `$GATEHOUSE_SCHEMAS_DIR`, else `../shared/schemas`
 * beside the repository (how CI lays it out), or beside the local repository
 * a fresh clone was made from.
 */
export function schemasDir(): string {
  const candidates = process.env.GATEHOUSE_SCHEMAS_DIR
    ? [resolve(process.env.GATEHOUSE_SCHEMAS_DIR)]
    : besideRepository('shared/schemas');
  const dir = candidates.find(hasSchemas);
  if (dir === undefined) {
    throw new Error(
      `JSON Schemas not found in ${candidates.join(' or ')} (expected k8s/ and skaffold/ there). ` +
        'Put the shared schemas beside the repository or set GATEHOUSE_SCHEMAS_DIR.',
    );
  }
  return dir;
}
