import { hasSecondFactor } from '@gatehouse/contracts';
import { insufficientUserAuthentication } from '@gatehouse/runtime';
import type { FastifyRequest } from 'fastify';

/**
 * A preHandler, after `requireIdentity`, for routes listed in
 * `MFA_REQUIRED_ROUTES`: a session whose `amr` names no second factor gets
 * 401 `insufficient_user_authentication` (RFC 9470) and steps up with
 * `POST /auth/mfa/step-up`, which adds the factor to the same session.
 */
export async function requireSecondFactor(request: FastifyRequest): Promise<void> {
  if (request.identity !== null && hasSecondFactor(request.identity.amr)) return;
  throw insufficientUserAuthentication('A second factor is required; step up with POST /auth/mfa/step-up.');
}
