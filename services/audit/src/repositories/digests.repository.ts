import type { KeyObject } from 'node:crypto';
import type { Pool } from '@gatehouse/runtime';
import { GENESIS_HASH } from '../domain/canonical.js';
import { type ChainFault, walkChain } from '../domain/chain-walk.js';
import { type DigestBody, digestHash, FIRST_DIGEST_PREV, keyId, signDigest } from '../domain/digest.js';

/** The outcome of {@link writeDigest}. */
export type DigestOutcome =
  | { written: true; id: number; fromSeq: number; toSeq: number; digestHash: string }
  | { written: false; reason: 'nothing_new' }
  | { written: false; reason: 'chain_broken'; fault: ChainFault };

/**
 * Signs the next digest: from the seq after the last digest up to the chain
 * head, at most `maxSeqs` of them (one run's work is bounded; the next run
 * seals the rest), linked to the last digest. The new range is re-verified first, so a
 * range changed before it was sealed is never signed. Safe to call from
 * several replicas at once (an advisory lock serializes them); later it runs
 * as a repeatable job.
 *
 * @example
 * ```ts
 * const outcome = await writeDigest(pool, { privateKey, publicKey });
 * ```
 */
export async function writeDigest(
  pool: Pool,
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  maxSeqs = 50_000,
): Promise<DigestOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('gatehouse_audit_digest'))");
    const last = await client.query<{ to_seq: string; digest_hash: Buffer; head_hash: Buffer }>(
      'SELECT to_seq, digest_hash, head_hash FROM audit_digests ORDER BY to_seq DESC LIMIT 1',
    );
    const head = await client.query<{ seq: string }>('SELECT seq FROM audit_chain_head WHERE id');
    const afterSeq = Number(last.rows[0]?.to_seq ?? 0);
    const headSeq = Math.min(Number(head.rows[0]?.seq ?? 0), afterSeq + maxSeqs);
    if (headSeq <= afterSeq) {
      await client.query('ROLLBACK');
      return { written: false, reason: 'nothing_new' };
    }
    const walk = await walkChain(pool, {
      afterSeq,
      prevHash: last.rows[0]?.head_hash ?? GENESIS_HASH,
      untilSeq: headSeq,
    });
    const fault = walk.fault ?? (walk.lastSeq === headSeq ? null : missingTail(walk.lastSeq, headSeq));
    if (fault) {
      await client.query('ROLLBACK');
      return { written: false, reason: 'chain_broken', fault };
    }
    const body: DigestBody = {
      fromSeq: afterSeq + 1,
      toSeq: headSeq,
      headHash: walk.lastHash,
      prevDigestHash: last.rows[0]?.digest_hash ?? FIRST_DIGEST_PREV,
    };
    const hash = digestHash(body);
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO audit_digests (from_seq, to_seq, head_hash, prev_digest_hash, digest_hash, signature, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        body.fromSeq,
        body.toSeq,
        body.headHash,
        body.prevDigestHash,
        hash,
        signDigest(body, keys.privateKey),
        keyId(keys.publicKey),
      ],
    );
    await client.query('COMMIT');
    const id = Number(inserted.rows[0]?.id);
    return { written: true, id, fromSeq: body.fromSeq, toSeq: body.toSeq, digestHash: hash.toString('hex') };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function missingTail(lastSeq: number, headSeq: number): ChainFault {
  return {
    kind: 'event_missing',
    seq: lastSeq + 1,
    eventId: null,
    message: `events seq ${lastSeq + 1}..${headSeq} are missing: the chain head is at seq ${headSeq}`,
  };
}
