import { createHash, randomInt } from 'node:crypto';
import type { Pool } from '@gatehouse/runtime';
import { unavailableOnError } from '../../redis/context.js';
import { replaceRecoveryCodes, useRecoveryCode } from '../../repositories/mfa.repository.js';

/** How many recovery codes a user gets at a time. */
const RECOVERY_CODE_COUNT = 10;

// 32 letters and digits without 0/o, 1/l/i: 16 of them carry 80 bits.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function newCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return chars.match(/.{4}/g)?.join('-') ?? chars;
}

/** The stored form of a code: SHA-256 of it without dashes, spaces or case (enough for 80 random bits). */
function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[\s-]/g, '')).digest('hex');
}

/** Makes ten new codes, replaces the stored ones with their hashes, and returns the codes (shown once). */
export async function issueRecoveryCodes(pool: Pool, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await unavailableOnError(() => replaceRecoveryCodes(pool, userId, codes.map(hashRecoveryCode)));
  return codes;
}

/** Uses one code: true for the single request that redeemed it, false for a wrong or used code. */
export async function redeemRecoveryCode(pool: Pool, userId: string, code: string): Promise<boolean> {
  return await unavailableOnError(() => useRecoveryCode(pool, userId, hashRecoveryCode(code)));
}
