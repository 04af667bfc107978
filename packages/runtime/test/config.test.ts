import { CommonEnv, ConfigError, loadConfig, parseSentinels, redisTarget } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';

const Schema = Type.Object({ ...CommonEnv, PORT: Type.Integer({ default: 8081 }), DATABASE_URL: Type.String() });

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig(Schema, { DATABASE_URL: 'postgres://x', PORT: '9000' });
    expect(config.PORT).toBe(9000);
    expect(config.LOG_LEVEL).toBe('info');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names a missing variable', () => {
    expect(() => loadConfig(Schema, {})).toThrow(new ConfigError('DATABASE_URL', 'is required'));
  });

  it('names a malformed variable and shows what was given', () => {
    expect(() => loadConfig(Schema, { DATABASE_URL: 'x', PORT: 'eighty' })).toThrow(
      /Invalid environment variable PORT: .*"eighty"/,
    );
    expect(() => loadConfig(Schema, { DATABASE_URL: 'x', LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('reads a sentinel list and refuses one that is not host:port pairs', () => {
    const config = loadConfig(Schema, { DATABASE_URL: 'x', REDIS_SENTINELS: 'a:26379, 10.0.0.2:26380,[::1]:26381' });
    expect(parseSentinels(redisTarget(config).sentinels ?? '')).toEqual([
      { host: 'a', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    expect(redisTarget(config).sentinelName).toBe('gatehouse');
    for (const bad of ['a', 'a:', 'a:1,', 'redis://a:1', 'a:1;b:2']) {
      expect(() => loadConfig(Schema, { DATABASE_URL: 'x', REDIS_SENTINELS: bad })).toThrow(/REDIS_SENTINELS/);
    }
  });
});
