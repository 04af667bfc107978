import { CommonEnv, ConfigError, loadConfig } from '@gatehouse/runtime';
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
});
