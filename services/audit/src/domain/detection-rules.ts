import type { AuditAlertRule } from '@gatehouse/contracts';
import type { AuditConfig } from '../config.js';

/** One detection rule: what it counts, on which subject, over which window. */
export interface DetectionRule {
  rule: AuditAlertRule;
  subjectKind: 'username' | 'ip';
  windowSeconds: number;
  threshold: number;
  /** SQL with $1 = after seq, $2 = until seq, $3 = window seconds, $4 = threshold, $5 = rule. */
  sql: string;
}

const FAILED = `'auth.login.failed'`;
const SUCCEEDED = `'auth.login.succeeded'`;
// Only a user who gave the right password reaches the second step: these failures mean a known password.
const MFA_FAILED = `'auth.mfa.failed'`;
const ACCOUNT_LOCKOUT = `e.type = 'auth.login.rate_limited'
  AND e.reason IN ('too_many_attempts_account', 'too_many_failures_account')`;

/**
 * A set-based rule: every new event (seq in ($1, $2]) matching `trigger` ends
 * a sliding window of $3 seconds; the evidence is the events of the same
 * subject in that window, and the rule fires when `measure` reaches $4.
 * A trigger in a fixed window that already has its alert of rule $5 is
 * skipped before its evidence is read: the alert would be a duplicate.
 */
function ruleSql(parts: { subject: string; trigger: string; evidence: string; measure: string; cap: number }) {
  // OFFSET 0 keeps the triggers a subquery, so the window check runs before the lateral reads.
  return `
SELECT t.${parts.subject} AS subject, t.seq, t.occurred_at AS at, t.event_id::text AS trigger_id,
  w.n, w.ids, w.first_at
FROM (
  SELECT t.* FROM audit_events t
  WHERE t.seq > $1 AND t.seq <= $2 AND ${parts.trigger} AND t.${parts.subject} IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM audit_alerts a WHERE a.rule = $5 AND a.subject = t.${parts.subject}
        AND a.window_start = to_timestamp(floor(extract(epoch FROM t.occurred_at) / $3) * $3)
    )
  OFFSET 0
) t
CROSS JOIN LATERAL (
  SELECT ${parts.measure}::int AS n, array_agg(e.event_id::text ORDER BY e.occurred_at, e.seq) AS ids,
    min(e.occurred_at) AS first_at
  FROM (
    SELECT e.event_id, e.seq, e.occurred_at, e.username, e.ip FROM audit_events e
    WHERE e.${parts.subject} = t.${parts.subject} AND ${parts.evidence}
      AND e.occurred_at > t.occurred_at - $3 * interval '1 second' AND e.occurred_at <= t.occurred_at
    ORDER BY e.occurred_at DESC, e.seq DESC LIMIT ${parts.cap}
  ) e
) w
WHERE w.n >= $4
ORDER BY t.seq`;
}

/**
 * The trigger, evidence and measure of a rule that counts the events of
 * `type` (SQL literal), or the distinct values of their `distinct` column.
 */
function counting(type: string, distinct?: 'username' | 'ip') {
  const present = (alias: string) => (distinct ? ` AND ${alias}.${distinct} IS NOT NULL` : '');
  return {
    trigger: `t.type = ${type}${present('t')}`,
    evidence: `e.type = ${type}${present('e')}`,
    measure: distinct ? `count(DISTINCT e.${distinct})` : 'count(*)',
  };
}

/**
 * The five rules (docs/audit.md#detections) with the thresholds of `config`.
 *
 * @example
 * ```ts
 * const rules = detectionRules(config);
 * ```
 */
export function detectionRules(config: AuditConfig): DetectionRule[] {
  return [
    {
      rule: 'brute_force',
      subjectKind: 'username',
      windowSeconds: config.AUDIT_BRUTE_FORCE_WINDOW_SECONDS,
      threshold: config.AUDIT_BRUTE_FORCE_FAILURES,
      sql: ruleSql({
        subject: 'username',
        ...counting(FAILED),
        cap: 1000,
      }),
    },
    {
      rule: 'credential_stuffing',
      subjectKind: 'ip',
      windowSeconds: config.AUDIT_STUFFING_WINDOW_SECONDS,
      threshold: config.AUDIT_STUFFING_USERNAMES,
      sql: ruleSql({
        subject: 'ip',
        ...counting(FAILED, 'username'),
        cap: 5000,
      }),
    },
    {
      rule: 'success_after_lockout',
      subjectKind: 'username',
      windowSeconds: config.AUDIT_LOCKOUT_SUCCESS_WINDOW_SECONDS,
      threshold: 1,
      sql: ruleSql({
        subject: 'username',
        trigger: `t.type = ${SUCCEEDED}`,
        evidence: `(${ACCOUNT_LOCKOUT} OR e.event_id = t.event_id)`,
        measure: `count(*) FILTER (WHERE e.event_id <> t.event_id)`,
        cap: 100,
      }),
    },
    {
      rule: 'multiple_ips',
      subjectKind: 'username',
      windowSeconds: config.AUDIT_MULTI_IP_WINDOW_SECONDS,
      threshold: config.AUDIT_MULTI_IP_COUNT,
      sql: ruleSql({
        subject: 'username',
        ...counting(SUCCEEDED, 'ip'),
        cap: 1000,
      }),
    },
    {
      rule: 'second_factor_failures',
      subjectKind: 'username',
      windowSeconds: config.AUDIT_MFA_FAILURE_WINDOW_SECONDS,
      threshold: config.AUDIT_MFA_FAILURES,
      sql: ruleSql({
        subject: 'username',
        ...counting(MFA_FAILED),
        cap: 1000,
      }),
    },
  ];
}

/** The start of the fixed window an alert is unique in: `at` rounded down to a multiple of the rule's window. */
export function windowOf(at: Date, windowSeconds: number): { start: Date; end: Date } {
  const size = windowSeconds * 1000;
  const start = Math.floor(at.getTime() / size) * size;
  return { start: new Date(start), end: new Date(start + size) };
}
