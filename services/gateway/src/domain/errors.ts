import { GatehouseError } from '@gatehouse/contracts';

/** The challenge every 401 of the gateway carries (RFC 6750). */
export const INVALID_TOKEN_CHALLENGE = 'Bearer realm="gatehouse", error="invalid_token"';

/** A 401 `invalid_token` with the bearer challenge header. */
export function invalidToken(message: string): GatehouseError {
  return new GatehouseError('invalid_token', message, { headers: { 'www-authenticate': INVALID_TOKEN_CHALLENGE } });
}

/** A 503 for a dependency (Redis, the JWKS) that did not answer: the request is refused, never let through. */
export function unavailable(what: string, cause?: unknown): GatehouseError {
  return new GatehouseError('dependency_unavailable', `${what} is unavailable; try again shortly.`, { cause });
}
