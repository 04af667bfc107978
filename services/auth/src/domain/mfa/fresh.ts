import { GatehouseError, hasSecondFactor } from '@gatehouse/contracts';
import type { StoredSession } from '../sessions.js';

/**
 * The RFC 9470 challenge: the session lacks a (recent enough) second factor.
 * `max_age` is present when recency is what is missing.
 */
export function insufficientAuthentication(message: string, maxAgeSeconds?: number): GatehouseError {
  const maxAge = maxAgeSeconds === undefined ? '' : `, max_age=${maxAgeSeconds}`;
  return new GatehouseError('insufficient_user_authentication', message, {
    headers: {
      'www-authenticate': `Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="${message}"${maxAge}`,
    },
  });
}

/**
 * Requires the session to have proved a second factor within the last
 * `freshSeconds` (at login or by step-up), before a factor is removed or the
 * recovery codes replaced: a stolen session alone cannot strip an account.
 */
export function requireFreshFactor(session: StoredSession, freshSeconds: number, nowSeconds: number): void {
  if (hasSecondFactor(session.amr) && nowSeconds - session.authTime <= freshSeconds) return;
  throw insufficientAuthentication('A recent second factor is required; step up first.', freshSeconds);
}
