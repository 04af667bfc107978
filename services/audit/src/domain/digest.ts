import { createHash, type KeyObject, sign, verify } from 'node:crypto';

/** What a digest signs: a consecutive seq range, the chain hash at its end, and the previous digest. */
export interface DigestBody {
  fromSeq: number;
  toSeq: number;
  headHash: Buffer;
  prevDigestHash: Buffer;
}

/** The previous-digest hash of the first digest: 32 zero bytes. */
export const FIRST_DIGEST_PREV = Buffer.alloc(32);

/** The exact text that is hashed and signed (docs/audit.md#digests). */
function digestMessage(body: DigestBody): Buffer {
  const lines = [
    'gatehouse.audit.digest.v1',
    String(body.fromSeq),
    String(body.toSeq),
    body.headHash.toString('hex'),
    body.prevDigestHash.toString('hex'),
  ];
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** `sha256(digestMessage(body))`: what the next digest links to. */
export function digestHash(body: DigestBody): Buffer {
  return createHash('sha256').update(digestMessage(body)).digest();
}

/** Ed25519 signature over {@link digestMessage}. */
export function signDigest(body: DigestBody, privateKey: KeyObject): Buffer {
  return sign(null, digestMessage(body), privateKey);
}

/** Checks an Ed25519 signature over {@link digestMessage}. */
export function isDigestSignatureValid(body: DigestBody, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, digestMessage(body), publicKey, signature);
  } catch {
    return false;
  }
}

/** A short id of the public key: the first 16 hex digits of SHA-256 of its SPKI DER form. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16);
}
