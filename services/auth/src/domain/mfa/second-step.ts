import { GatehouseError, type LoginResponse, type MfaLoginBody } from '@gatehouse/contracts';
import { unavailableOnError } from '../../redis/context.js';
import { findUserByUsername } from '../../repositories/users.repository.js';
import type { ClientInfo } from '../client.js';
import { type LoginDeps, startSession } from '../login.js';
import { checkLoginRate } from '../rate-limit.js';
import { attemptChallenge, consumeChallenge } from './challenge.js';
import { publishMfaEvent, recordMfaFailure } from './events.js';
import { passkeyScope } from './passkeys.js';
import { verifyProof } from './proof.js';

const GONE = 'The login challenge has expired or was already used; log in again.';

/**
 * `POST /auth/login/mfa`: the second login step. Counts an attempt on the
 * challenge (5 by default, then it is deleted) and on the account's and
 * address's login limits, checks the proof, and only then uses the challenge
 * up and writes the session, whose `amr` names both factors.
 */
export async function completeLogin(deps: LoginDeps, body: MfaLoginBody, client: ClientInfo): Promise<LoginResponse> {
  const { mfa } = deps;
  const now = Date.now();
  const attempt = await attemptChallenge(deps.redis, body.challenge, mfa.challenge.maxAttempts, Math.floor(now / 1000));
  if (attempt.verdict === 'gone') throw new GatehouseError('invalid_token', GONE);
  const owner = { id: attempt.userId, username: attempt.username };
  if (attempt.verdict !== 'ok') {
    const reason = attempt.verdict === 'expired' ? 'expired' : 'too_many_attempts_challenge';
    await publishMfaEvent(deps.redis, 'auth.mfa.challenge_expired', { user: owner, factor: null, reason, client });
    if (attempt.verdict === 'expired') throw new GatehouseError('invalid_token', GONE);
    throw new GatehouseError('too_many_attempts', 'Too many codes for this login; log in again.');
  }
  await checkLoginRate(deps.redis, deps.limits, attempt.username, client);
  const user = await unavailableOnError(() => findUserByUsername(deps.pool, attempt.username));
  if (!user || user.id !== attempt.userId || user.disabled) throw new GatehouseError('invalid_token', GONE);
  const result = await verifyProof(mfa, user, body, now, passkeyScope.login(body.challenge));
  if (!result.ok) {
    await recordMfaFailure(deps.redis, deps.limits.failureWindowSeconds, {
      user,
      factor: result.factor,
      reason: result.reason,
      client,
    });
    throw new GatehouseError('invalid_credentials', 'The code is incorrect.');
  }
  if (!(await consumeChallenge(deps.redis, body.challenge))) throw new GatehouseError('invalid_token', GONE);
  const event = result.factor === 'recovery' ? 'auth.mfa.recovery_used' : 'auth.mfa.succeeded';
  await publishMfaEvent(deps.redis, event, { user, factor: result.factor, client });
  return await startSession(deps, user, client, ['pwd', result.amr]);
}
