import { CommonEnv, loadConfig, parseTrustProxy, TrustProxyEnv } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';

const schema = Type.Object({ ...CommonEnv, ...TrustProxyEnv });

describe('TRUST_PROXY', () => {
  it('means the same as Fastify trustProxy: off, everyone, a hop count or a list of addresses', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('127.0.0.1, 10.0.0.0/8')).toEqual(['127.0.0.1', '10.0.0.0/8']);
    const hops = parseTrustProxy('1') as (address: string, hop: number) => boolean;
    expect([hops('10.0.0.1', 0), hops('10.0.0.1', 1)]).toEqual([true, false]);
    expect(loadConfig(schema, {}).TRUST_PROXY).toBe('false');
  });

  it.each(['everyone', 'yes', '1.2.3.4;rm', '-1'])('refuses %j at start-up, naming the variable', (value) => {
    expect(() => loadConfig(schema, { TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
  });
});
