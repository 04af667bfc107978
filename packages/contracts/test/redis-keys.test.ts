import {
  loginAttemptsIpKey,
  loginAttemptsKey,
  loginFailuresKey,
  sessionKey,
  userSessionsKey,
} from '@gatehouse/contracts';
import { expect, it } from 'vitest';

it('builds the key names of the field note, case-insensitive for usernames', () => {
  expect(sessionKey('abc')).toBe('session:abc');
  expect(userSessionsKey('7')).toBe('user_sessions:7');
  expect(loginAttemptsKey('Alice')).toBe('login_attempts:alice');
  expect(loginAttemptsIpKey('203.0.113.7')).toBe('login_attempts:ip:203.0.113.7');
  expect(loginFailuresKey('ALICE')).toBe('login_failures:alice');
});
