import { GatehouseError } from '@gatehouse/contracts';

export { invalidToken } from '@gatehouse/runtime';

/** A 503 for a dependency (Redis, the JWKS) that did not answer: the request is refused, never let through. */
export function unavailable(what: string, cause?: unknown): GatehouseError {
  return new GatehouseError('dependency_unavailable', `${what} is unavailable; try again shortly.`, { cause });
}
