import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultServiceName, isTracingEnabled } from '../src/settings.js';

// What the preload leaves behind: whether a global tracer provider was registered, and whether any SDK module loaded.
const PROBE = `
const api = globalThis[Symbol.for('opentelemetry.js.api.1')];
const { createRequire } = await import('node:module');
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('@opentelemetry/sdk'));
console.log(JSON.stringify({ provider: Boolean(api?.trace), sdkModules: loaded.length }));
`;

function probe(env: Record<string, string>): Promise<{ provider: boolean; sdkModules: number }> {
  const args = ['--conditions=gatehouse-source', '--import', 'tsx', '--import', '@gatehouse/telemetry/register'];
  const child = spawn(process.execPath, [...args, '--input-type=module', '-e', PROBE], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out))));
}

describe('telemetry preload', { timeout: 30_000 }, () => {
  it('loads nothing and registers no tracer when no OTEL_* variable asks for traces', async () => {
    expect(await probe({})).toEqual({ provider: false, sdkModules: 0 });
    expect(await probe({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toEqual({
      provider: false,
      sdkModules: 0,
    });
  });

  it('starts the SDK when an exporter is named', async () => {
    const started = await probe({ OTEL_TRACES_EXPORTER: 'console' });
    expect(started.provider).toBe(true);
    expect(started.sdkModules).toBeGreaterThan(0);
  });

  it('reads the standard variables', () => {
    expect(isTracingEnabled({})).toBe(false);
    expect(isTracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(isTracingEnabled({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(isTracingEnabled({ OTEL_TRACES_EXPORTER: 'none,otlp' })).toBe(true);
    expect(defaultServiceName('/app/services/audit/dist/server.js')).toBe('gatehouse-audit');
    expect(defaultServiceName(undefined)).toBe('gatehouse');
  });
});
