import { GatehouseError, type MfaFactor, type MfaProof } from '@gatehouse/contracts';
import type { MfaDeps } from './deps.js';
import { checkPasskey } from './passkeys.js';
import { redeemRecoveryCode } from './recovery.js';
import { checkTotp } from './totp.js';

/** A checked proof: the factor and its RFC 8176 `amr` value, or why it was refused. */
export type ProofResult =
  | { ok: true; factor: MfaFactor; amr: string }
  | { ok: false; factor: MfaFactor; reason: 'invalid_code' | 'code_replayed' };

function requireCode(proof: MfaProof): string {
  if (proof.code === undefined)
    throw new GatehouseError('validation_failed', `body/code is required for ${proof.method}`);
  return proof.code;
}

/**
 * Checks a second-factor proof for a user: a TOTP code (single use, one step
 * of skew), a recovery code (single use), or a passkey assertion against the
 * WebAuthn challenge pending under `passkeyScope`.
 */
export async function verifyProof(
  deps: MfaDeps,
  user: { id: string; username: string },
  proof: MfaProof,
  nowMs: number,
  passkeyScope: string,
): Promise<ProofResult> {
  switch (proof.method) {
    case 'totp': {
      const check = await checkTotp(deps, user, requireCode(proof), nowMs);
      return check === 'ok' ? { ok: true, factor: 'totp', amr: 'otp' } : { ok: false, factor: 'totp', reason: check };
    }
    case 'recovery': {
      const used = await redeemRecoveryCode(deps.pool, user.id, requireCode(proof));
      return used
        ? { ok: true, factor: 'recovery', amr: 'otp' }
        : { ok: false, factor: 'recovery', reason: 'invalid_code' };
    }
    case 'passkey': {
      if (proof.credential === undefined)
        throw new GatehouseError('validation_failed', 'body/credential is required for passkey');
      return await checkPasskey(deps, user.id, passkeyScope, proof.credential);
    }
  }
}
