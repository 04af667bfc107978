import type { KeyObject } from 'node:crypto';
import { JWT_ALGORITHM } from '@gatehouse/contracts';
import { loadEd25519Key, loadEd25519PublicKey } from '@gatehouse/runtime';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/** The keys auth signs with and the public keys it publishes. */
export interface KeyRing {
  /** The newest private key; every token is signed with it. */
  signingKey: KeyObject;
  /** JWK thumbprint (RFC 7638) of the signing key, the `kid` header of every token. */
  kid: string;
  /** What `/.well-known/jwks.json` serves: the signing key's public half, then older keys. */
  jwks: { keys: JWK[] };
}

async function toJwk(publicKey: KeyObject): Promise<JWK> {
  const jwk = await exportJWK(publicKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: JWT_ALGORITHM, use: 'sig' };
}

/**
 * Loads the signing key (generating it on a developer's machine when
 * `generate` is set) and the older public keys still accepted during a
 * rotation.
 *
 * @example
 * ```ts
 * const keys = await loadKeyRing({ privateKeyFile: '.gatehouse/keys/jwt-signing.pem', publicKeyFiles: [], generate: true });
 * ```
 */
export async function loadKeyRing(options: {
  privateKeyFile: string;
  publicKeyFiles: string[];
  generate: boolean;
}): Promise<KeyRing> {
  const signing = await loadEd25519Key(options.privateKeyFile, { generate: options.generate });
  const current = await toJwk(signing.publicKey);
  const older = await Promise.all(options.publicKeyFiles.map(async (f) => toJwk(await loadEd25519PublicKey(f))));
  const keys = [current, ...older.filter((k) => k.kid !== current.kid)];
  return { signingKey: signing.privateKey, kid: current.kid as string, jwks: { keys } };
}
