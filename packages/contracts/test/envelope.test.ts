import { AUTH_EVENT_TYPES, createAuthEvent, parseAuthEvent } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';

describe('auth event envelope', () => {
  it.each(AUTH_EVENT_TYPES)('round-trips %s through JSON with every field', (type) => {
    const event = createAuthEvent({
      type,
      source: 'auth',
      subject: '42',
      username: 'alice',
      sessionId: 'sid',
      ip: '203.0.113.7',
      userAgent: 'curl/8',
      reason: 'invalid_credentials',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const parsed = parseAuthEvent(JSON.stringify(event));
    expect(parsed).toEqual({ ok: true, event });
  });

  it('gives every event a distinct, time-ordered UUIDv7 id', () => {
    const a = createAuthEvent({ type: 'auth.logout', source: 'auth' }, new Date('2026-01-01T00:00:00Z'));
    const b = createAuthEvent({ type: 'auth.logout', source: 'auth' }, new Date('2026-01-01T00:00:01Z'));
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(a.id < b.id).toBe(true);
  });

  it('keeps fields it does not know (consumers ignore them)', () => {
    const event = { ...createAuthEvent({ type: 'auth.logout', source: 'auth' }), extra: 1 };
    expect(parseAuthEvent(JSON.stringify(event)).ok).toBe(true);
  });

  it.each([
    ['type', { type: 'auth.login.maybe' }],
    ['version', { version: 2 }],
    ['occurredAt', { occurredAt: 'yesterday' }],
    ['id', { id: 'not-a-uuid' }],
    ['subject', { subject: 42 }],
  ])('rejects an envelope with a bad %s, naming the field', (field, change) => {
    const event = { ...createAuthEvent({ type: 'auth.logout', source: 'auth' }), ...change };
    const parsed = parseAuthEvent(JSON.stringify(event));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(new RegExp(`^${field}:`));
  });

  it('rejects a missing field and text that is not JSON', () => {
    const { source: _omitted, ...rest } = createAuthEvent({ type: 'auth.logout', source: 'auth' });
    expect(parseAuthEvent(JSON.stringify(rest))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^source:/),
    });
    expect(parseAuthEvent('{')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });
});
