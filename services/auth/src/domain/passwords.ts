import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

/** argon2id with the OWASP minimum parameters: 19 MiB of memory, 2 passes, 1 lane. */
const ARGON2_OPTIONS = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** The argon2 computations' line: at most this many at once, the rest in arrival order. */
const argon2Turns = pLimit(availableParallelism());

/**
 * Sets how many argon2 computations run at once (`ARGON2_CONCURRENCY`; 0, the
 * default, means one per CPU); the others wait their turn. libuv runs them on
 * its thread pool (4 threads): on 2 vCPUs, 4 verifications at once cost
 * more CPU each than 2 at once, and the pool's other jobs (the token's
 * signature, file and DNS work) queued behind them (docs/performance.md#login).
 */
export function setArgon2Concurrency(concurrency: number): void {
  argon2Turns.concurrency = concurrency > 0 ? concurrency : availableParallelism();
}

/**
 * Hashes a password with argon2id ({@link ARGON2_OPTIONS}); the result is a
 * PHC string that carries its own salt and parameters.
 *
 * @example
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple');
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  return await argon2Turns(() => hash(password, ARGON2_OPTIONS));
}

let dummyHash: Promise<string> | undefined;

/** A hash of a random password, made once, for verifying against when the user does not exist. */
export function warmDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummyHash;
}

/**
 * Verifies `password` against `passwordHash`; with no hash (unknown user) it
 * verifies against a dummy hash with the same parameters and returns false,
 * so both cases cost the same time (and wait in the same line).
 */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    const dummy = await warmDummyHash();
    await argon2Turns(() => verify(dummy, password)).catch(() => false);
    return false;
  }
  return await argon2Turns(() => verify(passwordHash, password)).catch(() => false);
}
