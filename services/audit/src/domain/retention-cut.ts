import { type KeyObject, sign, verify } from 'node:crypto';

/** What a retention cut signs: the last removed seq and the chain hash there. */
export interface CutBody {
  throughSeq: number;
  headHash: Buffer;
  digestHash: Buffer;
}

/** The exact text that is signed for a retention cut. */
function cutMessage(body: CutBody): Buffer {
  const lines = [
    'gatehouse.audit.retention.v1',
    String(body.throughSeq),
    body.headHash.toString('hex'),
    body.digestHash.toString('hex'),
  ];
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** Ed25519 signature over {@link cutMessage}. */
export function signCut(body: CutBody, privateKey: KeyObject): Buffer {
  return sign(null, cutMessage(body), privateKey);
}

/** Checks an Ed25519 signature over {@link cutMessage}. */
export function isCutSignatureValid(body: CutBody, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, cutMessage(body), publicKey, signature);
  } catch {
    return false;
  }
}
