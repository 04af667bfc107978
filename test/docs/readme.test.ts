import { readdirSync, readFileSync } from 'node:fs';
import { ConfigSchema as auditConfig } from '@gatehouse/audit';
import { ConfigSchema as authConfig } from '@gatehouse/auth';
import { ConfigSchema as gatewayConfig } from '@gatehouse/gateway';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each([
    ['auth', authConfig],
    ['gateway', gatewayConfig],
    ['audit', auditConfig],
  ])('documents every variable %s reads', (_service, schema) => {
    const missing = Object.keys(schema.properties).filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it.each([
    ['auth', authConfig],
    ['gateway', gatewayConfig],
    ['audit', auditConfig],
  ])('services/%s/README.md names every variable its config reads', (service, schema) => {
    const own = readFileSync(new URL(`../../services/${service}/README.md`, import.meta.url), 'utf8');
    const missing = Object.keys(schema.properties).filter((name) => !new RegExp(`\\b${name}\\b`).test(own));
    expect(missing).toEqual([]);
  });

  it('links the README of every service and package', () => {
    for (const dir of ['services', 'packages']) {
      for (const name of readdirSync(new URL(`../../${dir}/`, import.meta.url))) {
        expect(readme).toContain(`(${dir}/${name}/README.md)`);
      }
    }
  });

  it('shows the two commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
