import type { KeyObject } from 'node:crypto';
import {
  ASSERTION_ISSUER,
  ASSERTION_TTL_SECONDS,
  ASSERTION_TYPE,
  type AssertionClaims,
  JWT_ALGORITHM,
} from '@gatehouse/contracts';
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';

/** A signing key of identity assertions and its `kid` (the JWK thumbprint of its public half). */
export interface AssertionKey {
  privateKey: KeyObject;
  kid: string;
  /** The public JWK, as the gateway's JWKS lists it. */
  jwk: JWK;
}

/** Who an assertion speaks for, and to whom. */
export type AssertionSubject = Pick<AssertionClaims, 'aud' | 'sub' | 'username' | 'sid' | 'roles' | 'amr'>;

/**
 * Prepares an Ed25519 key pair for {@link signAssertion}.
 *
 * @example
 * ```ts
 * const key = await assertionKey(generateKeyPairSync('ed25519'));
 * ```
 */
export async function assertionKey(pair: { privateKey: KeyObject; publicKey: KeyObject }): Promise<AssertionKey> {
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateKey: pair.privateKey, kid, jwk: { ...publicJwk, kid, alg: JWT_ALGORITHM, use: 'sig' } };
}

/**
 * Signs one identity assertion (what the gateway forwards): EdDSA, `typ`
 * {@link ASSERTION_TYPE}, issued at `iat` (seconds) for {@link ASSERTION_TTL_SECONDS}.
 *
 * @example
 * ```ts
 * const jwt = await signAssertion(key, { aud: 'audit', sub, username, sid, roles: ['auditor'] });
 * ```
 */
export async function signAssertion(
  key: AssertionKey,
  subject: AssertionSubject,
  iat = Math.floor(Date.now() / 1000),
): Promise<string> {
  return await new SignJWT({ username: subject.username, sid: subject.sid, roles: subject.roles, amr: subject.amr })
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: ASSERTION_TYPE, kid: key.kid })
    .setIssuer(ASSERTION_ISSUER)
    .setAudience(subject.aud)
    .setSubject(subject.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
    .sign(key.privateKey);
}
