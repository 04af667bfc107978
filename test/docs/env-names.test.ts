import { ConfigSchema as auditConfig } from '@gatehouse/audit';
import { ConfigSchema as authConfig } from '@gatehouse/auth';
import { ConfigSchema as gatewayConfig } from '@gatehouse/gateway';
import { describe, expect, it } from 'vitest';

/** A name that says it holds a duration. */
const DURATION =
  /TIMEOUT|INTERVAL|WINDOW|TTL|DELAY|GRACE|HEARTBEAT|LEASE|BACKOFF|IDLE|POLL|CHECK|LOCK|BLOCK|COOLDOWN|FRESH|RETENTION|RETRY/;

describe('environment variable names', () => {
  it.each([
    ['auth', authConfig],
    ['gateway', gatewayConfig],
    ['audit', auditConfig],
  ])('every integer duration %s reads carries its unit: _MS, _SECONDS or _DAYS', (_service, schema) => {
    const properties = schema.properties as Record<string, { type?: string }>;
    const durations = Object.entries(properties)
      .filter(([name, property]) => property.type === 'integer' && DURATION.test(name))
      .map(([name]) => name);
    expect(durations.length).toBeGreaterThan(2);
    expect(durations.filter((name) => !/_(MS|SECONDS|DAYS)$/.test(name))).toEqual([]);
  });
});
