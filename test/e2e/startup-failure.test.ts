import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NODE_TS_ARGS } from '@gatehouse/runtime/testing';
import { describe, expect, it } from 'vitest';

/** Runs a service to its exit; its stdout parsed back into log objects. */
async function runToExit(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [...NODE_TS_ARGS, entry], {
    env: { ...process.env, LOG_FORMAT: 'json', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; service: string; err?: { message: string } });
  return { code, lines };
}

// Nothing answers on this port: the clients exist, but start-up must fail before they matter.
const REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
const missing = join(tmpdir(), `gatehouse-no-such-dir-${process.pid}`, 'key.pem');

describe('a service that cannot start says so once and exits 1', () => {
  it.each([
    ['gateway', { ASSERTION_KEY_FILE: missing }],
    ['auth', { JWT_PRIVATE_KEY_FILE: missing, DATABASE_URL: 'postgres://127.0.0.1:1/none' }],
    ['audit', { AUDIT_DIGEST_KEY_FILE: missing, DATABASE_URL: 'postgres://127.0.0.1:1/none' }],
  ])('%s with an unreadable key file', async (service, env) => {
    const { code, lines } = await runToExit(`services/${service}/src/server.ts`, { REDIS_URL, ...env });
    expect(code).toBe(1);
    const fatal = lines.filter((line) => line.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({
      msg: 'failed to start',
      service,
      err: { message: expect.stringContaining('key') },
    });
  });
});
