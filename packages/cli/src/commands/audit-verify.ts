import { verifyTrail } from '@gatehouse/audit';
import { loadEd25519Key, loadEd25519PublicKey } from '@gatehouse/runtime';
import { CliError, EXIT } from '../errors.js';
import { createProgress } from '../progress.js';
import type { RunCommand } from './command.js';

async function digestPublicKey(file: string) {
  try {
    return (await loadEd25519Key(file, { generate: false })).publicKey;
  } catch (privateErr) {
    // The file may hold only the public key (a verifier need not hold the signing key).
    return await loadEd25519PublicKey(file).catch(() => {
      throw new CliError(
        `Cannot read the digest key from AUDIT_DIGEST_KEY_FILE (${file}): ${(privateErr as Error).message}`,
        EXIT.usage,
      );
    });
  }
}

/** `gatehouse audit verify [--json]` */
export const run: RunCommand = async ({ values }, ctx, out) => {
  const publicKey = await digestPublicKey(ctx.env.AUDIT_DIGEST_KEY_FILE);
  const pool = await ctx.pool();
  const head = await pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM audit_events').catch(() => {
    throw new CliError('No audit trail in this database (is DATABASE_URL the audit database?).');
  });
  const total = Number(head.rows[0]?.seq ?? 0);
  const progress = createProgress();
  const started = Date.now();
  process.stderr.write(`Verifying ${total} event(s)…\n`);
  const ticker = setInterval(() => progress.update(`verifying… ${Math.round((Date.now() - started) / 1000)} s`), 250);
  const report = await verifyTrail(pool, publicKey).finally(() => clearInterval(ticker));
  progress.done();
  if (values.json) out(JSON.stringify(report));
  else if (report.ok) {
    out(
      `Audit trail intact: ${report.checkedEvents} event(s) checked, ${report.checkedDigests} signed digest(s), ` +
        `head seq ${report.headSeq}, digested through seq ${report.digestedThrough}.`,
    );
  } else {
    out(`AUDIT TRAIL BROKEN: ${report.failure?.message ?? 'unknown failure'}`);
    out(`  kind ${report.failure?.kind}, seq ${report.failure?.fromSeq}..${report.failure?.toSeq}`);
  }
  if (!report.ok) throw new CliError('The audit trail failed verification.', EXIT.verifyFailed);
};
