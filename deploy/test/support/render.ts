import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './paths.js';

/** A rendered Kubernetes object, as plain data. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
};

const INSTALL_HINT = 'bash deploy/tools/ensure-kubectl.sh';
let cached: string | undefined;

function kustomizeMajor(kubectl: string): number {
  const run = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' });
  const match = /Kustomize Version: v(\d+)/.exec(run.stdout ?? '');
  return match ? Number(match[1]) : 0;
}

/**
 * The kubectl whose built-in kustomize renders the overlays:
 * `$GATEHOUSE_KUBECTL`, `.gatehouse/tools/bin/kubectl`, then `kubectl` on
 * PATH, the first whose kustomize is v5 or newer.
 */
function findKubectl(): string {
  if (cached) return cached;
  const candidates = [process.env.GATEHOUSE_KUBECTL, resolve(REPO_ROOT, '.gatehouse/tools/bin/kubectl'), 'kubectl'];
  for (const candidate of candidates) {
    if (!candidate || (candidate !== 'kubectl' && !existsSync(candidate))) continue;
    if (kustomizeMajor(candidate) >= 5) {
      cached = candidate;
      return candidate;
    }
  }
  throw new Error(
    `No kubectl with kustomize v5+ to render deploy/k8s (tried $GATEHOUSE_KUBECTL, .gatehouse/tools/bin/kubectl, kubectl on PATH). Install one with: ${INSTALL_HINT}`,
  );
}

/** Parses a multi-document YAML text; throws on a YAML error. */
export function parseYamlDocuments(text: string, origin: string): unknown[] {
  return parseAllDocuments(text).map((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${origin} document ${index}: ${doc.errors[0]?.message}`);
    return doc.toJS();
  });
}

/** Renders a kustomization directory with `kubectl kustomize`. */
export function renderKustomization(dir: string): K8sObject[] {
  const output = execFileSync(findKubectl(), ['kustomize', dir], {
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseYamlDocuments(output, dir).filter((d): d is K8sObject => d !== null) as K8sObject[];
}

/** `Kind/name` of an object, for messages. */
export function describe(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}
