import { GatehouseError, type TotpEnrolment, totpLastStepKey } from '@gatehouse/contracts';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { unavailableOnError } from '../../redis/context.js';
import { confirmTotp, findTotp, upsertPendingTotp } from '../../repositories/mfa.repository.js';
import type { MfaDeps } from './deps.js';

/** RFC 6238 defaults every authenticator app reads: SHA-1, 6 digits, 30 s. */
const TOTP_PERIOD_SECONDS = 30;

/** Steps of clock skew accepted either side of now. */
const WINDOW = 1;

function totpOf(secret: Secret, user: { username: string }, issuer: string): TOTP {
  return new TOTP({ issuer, label: user.username, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_SECONDS, secret });
}

/** Why a code was refused, or `ok`. */
export type CodeCheck = 'ok' | 'invalid_code' | 'code_replayed';

/**
 * Checks a code against a secret with one step of skew either way, then
 * records its time step so the same code (or an older one) is refused from
 * then on: a code is good once.
 */
async function checkCode(deps: MfaDeps, userId: string, totp: TOTP, code: string, nowMs: number): Promise<CodeCheck> {
  const delta = totp.validate({ token: code, timestamp: nowMs, window: WINDOW });
  if (delta === null) return 'invalid_code';
  const step = TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: nowMs }) + delta;
  const fresh = await deps.redis.run('ghTotpStep', [totpLastStepKey(userId)], [step, TOTP_PERIOD_SECONDS * 4]);
  return Number(fresh) === 1 ? 'ok' : 'code_replayed';
}

/**
 * Starts (or restarts) an enrolment: a new 160-bit secret, sealed at rest,
 * pending until a first code confirms it.
 *
 * @throws {GatehouseError} `conflict` when a confirmed secret exists (remove it first)
 */
export async function startTotpEnrolment(
  deps: MfaDeps,
  user: { id: string; username: string },
): Promise<TotpEnrolment> {
  const secret = new Secret({ size: 20 });
  const stored = await unavailableOnError(() =>
    upsertPendingTotp(deps.pool, user.id, deps.box.seal(secret.base32, user.id)),
  );
  if (!stored) throw new GatehouseError('conflict', 'TOTP is already enrolled; remove it first.');
  const uri = totpOf(secret, user, deps.issuer).toString();
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret: secret.base32, uri, qr: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/** Checks a code against the user's pending (`confirmed` false) or confirmed secret; none: `invalid_code`. */
async function checkStored(
  deps: MfaDeps,
  user: { id: string; username: string },
  code: string,
  nowMs: number,
  confirmed: boolean,
): Promise<CodeCheck> {
  const row = await unavailableOnError(() => findTotp(deps.pool, user.id));
  if (!row || row.confirmed !== confirmed) return 'invalid_code';
  const totp = totpOf(Secret.fromBase32(deps.box.open(row.secretSealed, user.id)), user, deps.issuer);
  return await checkCode(deps, user.id, totp, code, nowMs);
}

/** Confirms a pending enrolment with its first code. */
export async function confirmTotpEnrolment(
  deps: MfaDeps,
  user: { id: string; username: string },
  code: string,
  nowMs: number,
): Promise<CodeCheck> {
  const check = await checkStored(deps, user, code, nowMs, false);
  if (check !== 'ok') return check;
  return (await unavailableOnError(() => confirmTotp(deps.pool, user.id))) ? 'ok' : 'invalid_code';
}

/** Checks a code against the user's confirmed secret (none confirmed: `invalid_code`). */
export async function checkTotp(
  deps: MfaDeps,
  user: { id: string; username: string },
  code: string,
  nowMs: number,
): Promise<CodeCheck> {
  return await checkStored(deps, user, code, nowMs, true);
}
