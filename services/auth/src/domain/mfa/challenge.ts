import { randomBytes } from 'node:crypto';
import { mfaChallengeKey } from '@gatehouse/contracts';
import type { RedisContext } from '../../redis/context.js';

/** The stored challenge is kept this much longer than it is valid, so a late answer is reported as expired. */
const GRACE_SECONDS = 300;

/** The outcome of one step 2 attempt on a challenge. */
export type ChallengeAttempt =
  | { verdict: 'gone' }
  | { verdict: 'ok' | 'expired' | 'exhausted'; userId: string; username: string };

/**
 * Stores a new single-use challenge for a user who gave the right password
 * (128 random bits, base64url): valid for `ttlSeconds`, with no attempt yet.
 */
export async function createChallenge(
  redis: RedisContext,
  user: { id: string; username: string },
  ttlSeconds: number,
  nowSeconds: number,
): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  const fields = ['sub', user.id, 'name', user.username, 'n', '0', 'exp', String(nowSeconds + ttlSeconds)];
  await redis.run('ghMfaChallenge', [mfaChallengeKey(id)], [ttlSeconds + GRACE_SECONDS, ...fields]);
  return id;
}

/** Counts one attempt; an expired or used-up challenge is deleted and said so. */
export async function attemptChallenge(
  redis: RedisContext,
  id: string,
  maxAttempts: number,
  nowSeconds: number,
): Promise<ChallengeAttempt> {
  const reply = (await redis.run('ghMfaAttempt', [mfaChallengeKey(id)], [maxAttempts, nowSeconds])) as string[];
  const [verdict, userId, username] = reply;
  if (verdict === 'gone' || userId === undefined || username === undefined) return { verdict: 'gone' };
  return { verdict: verdict as 'ok' | 'expired' | 'exhausted', userId, username };
}

/** Deletes the challenge: true for the one request that used it. */
export async function consumeChallenge(redis: RedisContext, id: string): Promise<boolean> {
  return Number(await redis.run('ghMfaConsume', [mfaChallengeKey(id)], [])) === 1;
}
