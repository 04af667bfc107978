import {
  LOGIN_ATTEMPTS_IP_PREFIX,
  LOGIN_ATTEMPTS_USER_PREFIX,
  LOGIN_FAILURES_USER_PREFIX,
  loginAttemptsIpKey,
  loginAttemptsKey,
  loginFailuresKey,
  SESSION_KEY_PREFIX,
  sessionKey,
  userSessionsKey,
} from '@gatehouse/contracts';
import fc from 'fast-check';
import { expect, it } from 'vitest';

const FAMILIES = [
  LOGIN_ATTEMPTS_USER_PREFIX,
  LOGIN_ATTEMPTS_IP_PREFIX,
  LOGIN_FAILURES_USER_PREFIX,
  SESSION_KEY_PREFIX,
  'user_sessions:',
];

it('builds the key names of the field note, one canonical form per username', () => {
  expect(sessionKey('abc')).toBe('session:abc');
  expect(userSessionsKey('7')).toBe('user_sessions:7');
  expect(loginAttemptsKey('Alice')).toBe('login_attempts:user:alice');
  expect(loginAttemptsKey('\uFF21lice')).toBe('login_attempts:user:alice');
  expect(loginAttemptsIpKey('203.0.113.7')).toBe('login_attempts:ip:203.0.113.7');
  expect(loginFailuresKey('ALICE')).toBe('login_failures:user:alice');
});

it('a username that spells an address counts against the account, never against the address', () => {
  expect(loginAttemptsKey('ip:203.0.113.7')).not.toBe(loginAttemptsIpKey('203.0.113.7'));
  expect(loginAttemptsKey('IP:203.0.113.7')).toBe('login_attempts:user:ip:203.0.113.7');
});

it('no username can produce the key of another family', () => {
  const username = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom(...FAMILIES).chain((p) => fc.string({ maxLength: 20 }).map((s) => p + s)),
    fc.constantFrom('ip:', 'IP:', 'ｉｐ:', 'user:', 'session:').map((p) => `${p}203.0.113.7`),
  );
  fc.assert(
    fc.property(username, (name) => {
      for (const [key, own] of [
        [loginAttemptsKey(name), LOGIN_ATTEMPTS_USER_PREFIX],
        [loginFailuresKey(name), LOGIN_FAILURES_USER_PREFIX],
      ] as const) {
        const families = FAMILIES.filter((f) => key.startsWith(f));
        expect(families).toEqual([own]);
      }
    }),
    { seed: 13, numRuns: 2000 },
  );
});
