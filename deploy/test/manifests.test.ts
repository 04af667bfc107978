import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OVERLAYS, overlayDir, REPO_ROOT } from './support/paths.js';
import { describe as name, renderKustomization } from './support/render.js';
import { validateK8sObject } from './support/schemas.js';
import { unusedAndMissing } from './support/tree.js';

const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An overlay in a scratch folder: the real `dev` overlay plus one patch. */
function brokenOverlay(label: string, patch: string): string {
  const dir = join(scratch, label);
  mkdirSync(dir);
  writeFileSync(join(dir, 'patch.yaml'), patch);
  const kustomization = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    // kustomize takes only relative paths to other kustomizations.
    `  - ${relative(dir, overlayDir('dev'))}`,
    'patches:',
    '  - path: patch.yaml',
  ];
  writeFileSync(join(dir, 'kustomization.yaml'), `${kustomization.join('\n')}\n`);
  return dir;
}

function problemsOf(dir: string): string[] {
  return renderKustomization(dir).flatMap((object) => validateK8sObject(object).map((p) => `${name(object)}: ${p}`));
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('renders, and every document validates against the Kubernetes v1.32 schemas', () => {
    const objects = renderKustomization(overlayDir(overlay));
    expect(objects.length).toBeGreaterThan(15);
    // The schema set has no PrometheusRule; rules.test.ts checks it with promtool.
    const problems = objects
      .filter((o) => o.kind !== 'PrometheusRule')
      .flatMap((object) => validateK8sObject(object).map((p) => `${name(object)}: ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('a broken manifest', () => {
  it('fails validation on a misspelt field (replica: instead of replicas:)', () => {
    const dir = brokenOverlay(
      'misspelt',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gateway\nspec:\n  replica: 3\n',
    );
    const problems = problemsOf(dir);
    expect(problems.join('\n')).toMatch(/Deployment\/gateway: \/spec must NOT have additional properties.*replica/);
  });

  it('fails validation on a wrong type (a port named in words)', () => {
    const dir = brokenOverlay(
      'wrong-type',
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: gateway',
        'spec:',
        '  ports:',
        '    - name: http',
        '      port: eighty',
      ].join('\n'),
    );
    expect(problemsOf(dir).join('\n')).toMatch(/Service\/gateway: \/spec\/ports\/0\/port must be integer/);
  });

  it('fails on a kind the schema set does not know', () => {
    expect(validateK8sObject({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })[0]).toMatch(
      /no schema for apps\/v1 Deploymnet/,
    );
  });
});

describe('the deploy/k8s tree', () => {
  const k8s = join(REPO_ROOT, 'deploy/k8s');

  it('has no file that no overlay uses, no dangling reference, and a README in every component', () => {
    // components/redis-managed is prod's documented alternative to redis-ha (docs/deploy.md): no overlay includes it.
    const roots = [...OVERLAYS.map(overlayDir), join(k8s, 'components/redis-managed')];
    expect(unusedAndMissing(k8s, roots)).toEqual({ unused: [], missing: [] });
  });

  it('notices a stray manifest', () => {
    const { unused } = unusedAndMissing(k8s, [overlayDir('prod')]);
    expect(unused).toContain(join(k8s, 'components/postgres/statefulset.yaml'));
  });
});
