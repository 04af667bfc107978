import { describe, expect, it } from 'vitest';
import { cell, traceIdOf } from '../src/web/lib/format.js';
import { isAuditor, readIdentity } from '../src/web/lib/identity.js';

describe('who is signed in', () => {
  it('reads roles from a flat session body', () => {
    const identity = readIdentity({ userId: 'u1', username: 'ann', roles: ['user', 'auditor'] });
    expect(identity).toEqual({ userId: 'u1', username: 'ann', roles: ['user', 'auditor'] });
    expect(isAuditor(identity)).toBe(true);
  });

  it('reads a nested session and roles as a string', () => {
    const identity = readIdentity({ session: { sub: 'u2', username: 'bob', roles: 'user, support' } });
    expect(identity).toEqual({ userId: 'u2', username: 'bob', roles: ['user', 'support'] });
    expect(isAuditor(identity)).toBe(false);
  });

  it('refuses anything without the auditor role, including odd bodies', () => {
    expect(isAuditor(readIdentity(null))).toBe(false);
    expect(isAuditor(readIdentity({ roles: [1, 'Auditor', 'auditors'] }))).toBe(false);
  });
});

describe('event formatting', () => {
  it('extracts the trace id from a W3C traceparent', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdOf('not-a-traceparent')).toBeNull();
    expect(traceIdOf(null)).toBeNull();
  });

  it('shows missing values as a dash', () => {
    expect(cell(null)).toBe('—');
    expect(cell('')).toBe('—');
    expect(cell(0)).toBe('0');
  });
});
