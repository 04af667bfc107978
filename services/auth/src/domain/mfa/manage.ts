import { GatehouseError, type MfaStatus } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { unavailableOnError } from '../../redis/context.js';
import {
  deleteAllFactors,
  deletePasskey,
  deleteRecoveryCodes,
  deleteTotp,
  type FactorSummary,
  listPasskeys,
  renamePasskey,
  summariseFactors,
} from '../../repositories/mfa.repository.js';
import { findUserByUsername, type UserRecord } from '../../repositories/users.repository.js';
import type { ClientInfo } from '../client.js';
import type { StoredSession } from '../sessions.js';
import { UserError } from '../users.js';
import type { MfaDeps } from './deps.js';
import { type MfaActor, mfaEventJson, publishMfaEvent } from './events.js';
import { requireFreshFactor } from './fresh.js';
import { issueRecoveryCodes } from './recovery.js';
import { addFactorToSession } from './step-up.js';
import { confirmTotpEnrolment } from './totp.js';

/** A user's factors: confirmed TOTP, passkeys, unused recovery codes. */
export async function mfaStatus(deps: Pick<MfaDeps, 'pool'>, userId: string): Promise<MfaStatus> {
  const [summary, passkeys] = await unavailableOnError(() =>
    Promise.all([summariseFactors(deps.pool, userId), listPasskeys(deps.pool, userId)]),
  );
  return {
    totp: summary.totp,
    recoveryCodesRemaining: summary.recoveryCodesRemaining,
    passkeys: passkeys.map((p) => ({
      id: p.id,
      name: p.name,
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    })),
  };
}

function hasFactor(summary: FactorSummary): boolean {
  return summary.totp || summary.passkeys > 0;
}

/**
 * After a first factor is confirmed: publishes `auth.mfa.enrolled` while
 * adding the factor to the session (the user just proved it), and issues ten
 * recovery codes when none is left (returned once, to be shown once).
 */
export async function factorEnrolled(
  deps: MfaDeps,
  session: StoredSession,
  enrolled: { factor: 'totp' | 'passkey'; amr: string },
  client: ClientInfo,
): Promise<string[]> {
  const user = { id: session.userId, username: session.username };
  const nowSeconds = Math.floor(Date.now() / 1000);
  const event = mfaEventJson('auth.mfa.enrolled', {
    user,
    factor: enrolled.factor,
    sessionId: session.sessionId,
    client,
  });
  await addFactorToSession(deps, session, enrolled.amr, nowSeconds, event);
  const summary = await unavailableOnError(() => summariseFactors(deps.pool, user.id));
  if (summary.recoveryCodesRemaining > 0) return [];
  const codes = await issueRecoveryCodes(deps.pool, user.id);
  await publishMfaEvent(deps.redis, 'auth.mfa.enrolled', {
    user,
    factor: 'recovery',
    sessionId: session.sessionId,
    client,
  });
  return codes;
}

/** Confirms TOTP with its first code; answers the recovery codes made for a first factor. */
export async function confirmTotp(
  deps: MfaDeps,
  session: StoredSession,
  code: string,
  client: ClientInfo,
): Promise<string[]> {
  const user = { id: session.userId, username: session.username };
  const check = await confirmTotpEnrolment(deps, user, code, Date.now());
  if (check !== 'ok') throw new GatehouseError('invalid_credentials', 'The code is incorrect.');
  return await factorEnrolled(deps, session, { factor: 'totp', amr: 'otp' }, client);
}

/** Removes TOTP (a fresh second factor required); the last factor takes the recovery codes with it. */
export async function removeTotp(deps: MfaDeps, session: StoredSession, client: ClientInfo): Promise<void> {
  requireFreshFactor(session, deps.freshSeconds, Math.floor(Date.now() / 1000));
  const user = { id: session.userId, username: session.username };
  if (!(await unavailableOnError(() => deleteTotp(deps.pool, user.id)))) {
    throw new GatehouseError('not_found', 'No TOTP is enrolled.');
  }
  await publishMfaEvent(deps.redis, 'auth.mfa.removed', {
    user,
    factor: 'totp',
    reason: 'user_removed',
    sessionId: session.sessionId,
    client,
  });
  await dropCodesWithoutFactor(deps, user.id);
}

/** Renames a passkey of the user (404 when it has none with that id). */
export async function renameUserPasskey(deps: Pick<MfaDeps, 'pool'>, userId: string, id: string, name: string) {
  if (!(await unavailableOnError(() => renamePasskey(deps.pool, userId, id, name)))) {
    throw new GatehouseError('not_found', 'No such passkey.');
  }
}

/** Removes a passkey (a fresh second factor required); the last factor takes the recovery codes with it. */
export async function removePasskey(
  deps: MfaDeps,
  session: StoredSession,
  id: string,
  client: ClientInfo,
): Promise<void> {
  requireFreshFactor(session, deps.freshSeconds, Math.floor(Date.now() / 1000));
  if (!(await unavailableOnError(() => deletePasskey(deps.pool, session.userId, id)))) {
    throw new GatehouseError('not_found', 'No such passkey.');
  }
  const user = { id: session.userId, username: session.username };
  await publishMfaEvent(deps.redis, 'auth.mfa.removed', {
    user,
    factor: 'passkey',
    reason: 'user_removed',
    sessionId: session.sessionId,
    client,
  });
  await dropCodesWithoutFactor(deps, user.id);
}

/** Deletes the recovery codes of a user left without any other factor. */
async function dropCodesWithoutFactor(deps: Pick<MfaDeps, 'pool'>, userId: string): Promise<void> {
  const summary = await unavailableOnError(() => summariseFactors(deps.pool, userId));
  if (!hasFactor(summary)) await unavailableOnError(() => deleteRecoveryCodes(deps.pool, userId));
}

/** Replaces the recovery codes (a fresh second factor required); returns the new ones, shown once. */
export async function regenerateRecoveryCodes(
  deps: MfaDeps,
  session: StoredSession,
  client: ClientInfo,
): Promise<string[]> {
  requireFreshFactor(session, deps.freshSeconds, Math.floor(Date.now() / 1000));
  const user = { id: session.userId, username: session.username };
  if (!hasFactor(await unavailableOnError(() => summariseFactors(deps.pool, user.id)))) {
    throw new GatehouseError('conflict', 'Enrol TOTP or a passkey first.');
  }
  const codes = await issueRecoveryCodes(deps.pool, user.id);
  await publishMfaEvent(deps.redis, 'auth.mfa.enrolled', {
    user,
    factor: 'recovery',
    reason: 'regenerated',
    sessionId: session.sessionId,
    client,
  });
  return codes;
}

/**
 * An operator's reset (`gatehouse users mfa reset`): deletes every factor of
 * the user and publishes `auth.mfa.removed` (reason `admin_reset`, `actor`),
 * even when there was nothing to delete, so each reset is audited.
 */
async function resetFactors(
  deps: Pick<MfaDeps, 'pool' | 'redis'>,
  user: { id: string; username: string },
  actor: MfaActor,
  options: { source?: string } = {},
): Promise<FactorSummary> {
  const removed = await unavailableOnError(() => deleteAllFactors(deps.pool, user.id));
  await publishMfaEvent(deps.redis, 'auth.mfa.removed', {
    user,
    factor: null,
    reason: 'admin_reset',
    actor,
    ...(options.source ? { source: options.source } : {}),
  });
  return removed;
}

async function userNamed(pool: Pool, username: string): Promise<UserRecord> {
  const user = await findUserByUsername(pool, username);
  if (!user) throw new UserError('user_not_found', `No user "${username}".`);
  return user;
}

/** An operator's view of a user's factors, by username (`gatehouse users mfa show`). */
export async function showUserFactors(
  deps: Pick<MfaDeps, 'pool'>,
  username: string,
): Promise<{ user: UserRecord; factors: MfaStatus }> {
  const user = await userNamed(deps.pool, username);
  return { user, factors: await mfaStatus(deps, user.id) };
}

/** {@link resetFactors} by username (`gatehouse users mfa reset`). */
export async function resetUserFactors(
  deps: Pick<MfaDeps, 'pool' | 'redis'>,
  username: string,
  actor: MfaActor,
  options: { source?: string } = {},
): Promise<{ user: UserRecord; removed: FactorSummary }> {
  const user = await userNamed(deps.pool, username);
  return { user, removed: await resetFactors(deps, user, actor, options) };
}
