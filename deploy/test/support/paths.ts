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

/**
 * The JSON Schema folder: `$GATEHOUSE_SCHEMAS_DIR`, else `../shared/schemas`
 * beside the repository (how CI lays it out).
 */
export function schemasDir(): string {
  const dir = process.env.GATEHOUSE_SCHEMAS_DIR
    ? resolve(process.env.GATEHOUSE_SCHEMAS_DIR)
    : resolve(REPO_ROOT, '../shared/schemas');
  if (!existsSync(resolve(dir, 'k8s')) || !existsSync(resolve(dir, 'skaffold'))) {
    throw new Error(
      `JSON Schemas not found in ${dir} (expected k8s/ and skaffold/ there). ` +
        'Put the shared schemas beside the repository or set GATEHOUSE_SCHEMAS_DIR.',
    );
  }
  return dir;
}
