import { hasSecondFactor } from '@gatehouse/contracts';
import { insufficientUserAuthentication } from '@gatehouse/runtime';
import type { StoredSession } from '../sessions.js';

/**
 * Requires the session to have proved a second factor within the last
 * `freshSeconds` (at login or by step-up), before a factor is removed or the
 * recovery codes replaced: a stolen session alone cannot strip an account.
 */
export function requireFreshFactor(session: StoredSession, freshSeconds: number, nowSeconds: number): void {
  if (hasSecondFactor(session.amr) && nowSeconds - session.authTime <= freshSeconds) return;
  throw insufficientUserAuthentication('A recent second factor is required; step up first.', freshSeconds);
}
