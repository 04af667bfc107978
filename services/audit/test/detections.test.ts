import type { AuditAlertView, AuthEvent } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionRules } from '../src/domain/detection-rules.js';
import { runDetections } from '../src/repositories/alerts.repository.js';
import { createEnv, type Env, fullEvent, storeDirect, testConfig } from './helpers.js';

let env: Env;
let rules: ReturnType<typeof detectionRules>;
// Window starts fall on whole minutes: every pattern below sits inside one 60 s window.
const T = Date.parse('2030-01-01T00:00:05Z');
const at = (s: number) => new Date(T + s * 1000);

beforeAll(async () => {
  env = await createEnv();
  rules = detectionRules(
    testConfig(env, {
      AUDIT_BRUTE_FORCE_FAILURES: '5',
      AUDIT_BRUTE_FORCE_WINDOW_SECONDS: '60',
      AUDIT_STUFFING_USERNAMES: '4',
      AUDIT_STUFFING_WINDOW_SECONDS: '60',
      AUDIT_LOCKOUT_SUCCESS_WINDOW_SECONDS: '120',
      AUDIT_MULTI_IP_COUNT: '3',
      AUDIT_MULTI_IP_WINDOW_SECONDS: '60',
      AUDIT_MFA_FAILURES: '3',
      AUDIT_MFA_FAILURE_WINDOW_SECONDS: '60',
    }),
  );
});
afterAll(async () => {
  await env.close();
});

const failed = (username: string, ip: string, s: number) =>
  fullEvent({ type: 'auth.login.failed', username, subject: null, ip, reason: 'invalid_credentials' }, at(s));
const succeeded = (username: string, ip: string, s: number) =>
  fullEvent({ type: 'auth.login.succeeded', username, subject: `id-${username}`, ip }, at(s));
const lockout = (username: string, s: number, reason = 'too_many_failures_account') =>
  fullEvent({ type: 'auth.login.rate_limited', username, subject: null, ip: '192.0.2.99', reason }, at(s));

async function detect(events: AuthEvent[]): Promise<AuditAlertView[]> {
  await storeDirect(env.pool, events);
  return (await runDetections(env.pool, rules)).alerts;
}

const about = (alerts: AuditAlertView[], subject: string) => alerts.filter((a) => a.subject === subject);

describe('detection rules', () => {
  it('brute force: N failures for one account in W fires once, with the events behind it; N spread wider does not', async () => {
    const hit = [0, 5, 10, 15, 20].map((s) => failed('bf-hit', `198.51.100.${s + 1}`, s));
    // Five failures 15 s apart: any 60 s window holds only four.
    const near = [0, 15, 30, 45, 60].map((s) => failed('bf-near', '198.51.100.50', s));
    const alerts = await detect([...hit, ...near]);
    expect(about(alerts, 'bf-hit')).toHaveLength(1);
    expect(about(alerts, 'bf-hit')[0]).toMatchObject({
      rule: 'brute_force',
      subjectKind: 'username',
      windowStart: '2030-01-01T00:00:00.000Z',
      windowEnd: '2030-01-01T00:01:00.000Z',
      firstAt: at(0).toISOString(),
      lastAt: at(20).toISOString(),
      eventIds: hit.map((e) => e.id),
      details: { count: 5, threshold: 5, windowSeconds: 60 },
    });
    expect(about(alerts, 'bf-near')).toEqual([]);
  });

  it('credential stuffing: M distinct usernames failing from one IP in W fires; M-1 (even with repeats) does not', async () => {
    const hit = ['a', 'b', 'c', 'd'].map((u, i) => failed(`cs-${u}`, '203.0.113.20', i * 3));
    const near = ['a', 'b', 'c', 'a', 'a', 'b'].map((u, i) => failed(`csn-${u}`, '203.0.113.21', i * 3));
    const alerts = await detect([...hit, ...near]);
    expect(about(alerts, '203.0.113.20')).toEqual([
      expect.objectContaining({ rule: 'credential_stuffing', subjectKind: 'ip', eventIds: hit.map((e) => e.id) }),
    ]);
    expect(about(alerts, '203.0.113.21')).toEqual([]);
  });

  it('success after lockout: fires inside the window; not after it, nor after an IP-only limit', async () => {
    const lock = lockout('lo-hit', 0);
    const success = succeeded('lo-hit', '192.0.2.10', 30);
    const alerts = await detect([
      lock,
      success,
      lockout('lo-late', 0),
      succeeded('lo-late', '192.0.2.10', 200),
      lockout('lo-ip', 0, 'too_many_attempts_ip'),
      succeeded('lo-ip', '192.0.2.10', 10),
    ]);
    expect(about(alerts, 'lo-hit')).toEqual([
      expect.objectContaining({ rule: 'success_after_lockout', eventIds: [lock.id, success.id] }),
    ]);
    expect(about(alerts, 'lo-late')).toEqual([]);
    expect(about(alerts, 'lo-ip')).toEqual([]);
  });

  it('logins from several IPs: K IPs in W fires; K-1 IPs, or K IPs spread wider, do not', async () => {
    const hit = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip, i) => succeeded('mi-hit', ip, i * 10));
    const near = ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2'].map((ip, i) => succeeded('mi-near', ip, i * 10));
    const spread = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip, i) => succeeded('mi-spread', ip, i * 31));
    const alerts = await detect([...hit, ...near, ...spread]);
    expect(about(alerts, 'mi-hit')).toEqual([
      expect.objectContaining({ rule: 'multiple_ips', eventIds: hit.map((e) => e.id) }),
    ]);
    expect(about(alerts, 'mi-near')).toEqual([]);
    expect(about(alerts, 'mi-spread')).toEqual([]);
  });

  it('second-factor failures: N wrong codes after a right password in W fires; wrong passwords do not count', async () => {
    const mfaFailed = (username: string, s: number) =>
      fullEvent({ type: 'auth.mfa.failed', username, subject: `id-${username}`, reason: 'invalid_code' }, at(s));
    const hit = [0, 10, 20].map((s) => mfaFailed('mf-hit', s));
    const near = [mfaFailed('mf-near', 0), failed('mf-near', '192.0.2.1', 5), mfaFailed('mf-near', 10)];
    const alerts = await detect([...hit, ...near]);
    expect(about(alerts, 'mf-hit')).toEqual([
      expect.objectContaining({ rule: 'second_factor_failures', eventIds: hit.map((e) => e.id) }),
    ]);
    expect(about(alerts, 'mf-near')).toEqual([]);
  });

  it('never fires twice for the same rule, subject and window: more events, reruns, a reset read position', async () => {
    const first = await detect([0, 1, 2, 3, 4].map((s) => failed('dup-user', '198.51.100.77', s)));
    expect(about(first, 'dup-user')).toHaveLength(1);
    const more = await detect([10, 11, 12].map((s) => failed('dup-user', '198.51.100.77', s)));
    expect(about(more, 'dup-user')).toEqual([]);
    // Replaying the whole trail (a lost read position) adds nothing either.
    await env.pool.query('UPDATE audit_detection_state SET last_seq = 0');
    expect((await runDetections(env.pool, rules)).alerts).toEqual([]);
    const { rows } = await env.pool.query(`SELECT count(*)::int AS n FROM audit_alerts WHERE subject = 'dup-user'`);
    expect(rows[0].n).toBe(1);
    // The next window is a new alert.
    const next = await detect([60, 61, 62, 63, 64].map((s) => failed('dup-user', '198.51.100.77', s)));
    expect(about(next, 'dup-user')).toEqual([expect.objectContaining({ windowStart: '2030-01-01T00:01:00.000Z' })]);
  });

  it('does a bounded run: at most maxBatches batches, stopping between batches when told, resuming there', async () => {
    await storeDirect(
      env.pool,
      [0, 1, 2, 3, 4, 5].map((s) => failed('budget-user', '198.51.100.88', s)),
    );
    const state = await env.pool.query<{ last_seq: string }>('SELECT last_seq FROM audit_detection_state WHERE id');
    const before = Number(state.rows[0]?.last_seq);
    const one = await runDetections(env.pool, rules, { batch: 2, maxBatches: 1 });
    expect(one.lastSeq).toBe(before + 2);
    let checks = 0;
    const stopped = await runDetections(env.pool, rules, { batch: 2, isStopping: () => checks++ > 0 });
    expect(stopped.lastSeq).toBe(before + 4);
    const rest = await runDetections(env.pool, rules, { batch: 2 });
    expect(rest.lastSeq).toBe(rest.headSeq);
    expect(about([...one.alerts, ...stopped.alerts, ...rest.alerts], 'budget-user')).toHaveLength(1);
  });
});
