import { generateKeyPairSync } from 'node:crypto';
import { createIdentityVerifier } from '@gatehouse/upstream';
import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAssertionSigner } from '../src/domain/assertion-signer.js';
import type { Identity } from '../src/domain/authenticate.js';

const alice: Identity = { userId: 'u1', username: 'alice', sessionId: 's1', roles: ['user'], amr: ['pwd'] };

async function signer(cacheSize = 100, clock = { now: Date.now() }) {
  return await createAssertionSigner({ keys: generateKeyPairSync('ed25519'), cacheSize, now: () => clock.now });
}

describe('assertion signer', () => {
  it('signs once per (session, route) and hands the same assertion out synchronously afterwards', async () => {
    const s = await signer();
    const first = s.get(alice, '/api/a');
    expect(first).toBeInstanceOf(Promise);
    const [a, b] = await Promise.all([first, s.get(alice, '/api/a')]);
    expect(b).toBe(a);
    expect(s.get(alice, '/api/a')).toBe(a);
    const other = await s.get(alice, '/api/b');
    expect(other).not.toBe(a);
    const verify = createIdentityVerifier({ audience: '/api/a', keys: createLocalJWKSet(s.jwks) });
    expect(await verify({ headers: { 'x-gatehouse-assertion': a } })).toMatchObject({ userId: 'u1', sessionId: 's1' });
  });

  it('re-signs after half the lifetime, and at once when the roles, user, name or methods (a step-up) change', async () => {
    const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
    const s = await signer(100, clock);
    const a = await s.get(alice, '/api/a');
    clock.now += 29_000;
    expect(s.get(alice, '/api/a')).toBe(a);
    clock.now += 2_000;
    const renewed = await s.get(alice, '/api/a');
    expect(renewed).not.toBe(a);
    const promoted = await s.get({ ...alice, roles: ['user', 'auditor'] }, '/api/a');
    expect(promoted).not.toBe(renewed);
    const renamed = await s.get({ ...alice, username: 'alice2' }, '/api/a');
    expect(renamed).not.toBe(promoted);
    const steppedUp = await s.get({ ...alice, username: 'alice2', amr: ['pwd', 'otp'] }, '/api/a');
    expect(steppedUp).not.toBe(renamed);
    expect(JSON.parse(Buffer.from(steppedUp.split('.')[1] as string, 'base64url').toString()).amr).toEqual([
      'pwd',
      'otp',
    ]);
  });

  it('keeps at most cacheSize assertions, and none with a size of 0', async () => {
    const s = await signer(2);
    const one = await s.get(alice, '/1');
    await s.get(alice, '/2');
    await s.get(alice, '/3');
    expect(s.get(alice, '/1')).toBeInstanceOf(Promise);
    expect(typeof s.get(alice, '/3')).toBe('string');
    expect(one).toBeTypeOf('string');
    const none = await signer(0);
    await none.get(alice, '/1');
    expect(none.get(alice, '/1')).toBeInstanceOf(Promise);
  });
});
