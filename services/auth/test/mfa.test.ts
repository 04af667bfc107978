import { loginFailuresKey, mfaChallengeKey, sessionKey } from '@gatehouse/contracts';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awayFromStepEdge, totpCode } from '../src/testing.js';
import { type AuthHarness, bearer, startAuth } from './harness.js';
import { enrolTotp } from './mfa-support.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth({ LOGIN_MAX_ATTEMPTS: '50', MFA_CHALLENGE_TTL_SECONDS: '60' });
});
afterAll(() => h.close());

async function step2(payload: Record<string, unknown>, ip = '127.0.0.1') {
  return await h.app.inject({ method: 'POST', url: '/auth/login/mfa', remoteAddress: ip, payload });
}

async function challengeFor(username: string, password: string): Promise<string> {
  const res = await h.login(username, password);
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(body).toMatchObject({ status: 'mfa_required', methods: ['totp', 'recovery'], expiresIn: 60 });
  expect(body.accessToken).toBeUndefined();
  return body.challenge;
}

describe('TOTP', () => {
  it('enrols with a sealed secret, an otpauth URI and a QR code, and answers ten recovery codes once', async () => {
    const e = await enrolTotp(h);
    expect(e.uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:.+\?.*secret=[A-Z2-7]+/);
    expect(e.uri).toContain('algorithm=SHA1');
    expect(e.qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(e.qr.split(',')[1] ?? '', 'base64').toString()).toContain('<svg');
    expect(e.recoveryCodes).toHaveLength(10);
    expect(new Set(e.recoveryCodes).size).toBe(10);
    const { rows } = await h.pool.query('SELECT secret_sealed FROM mfa_totp WHERE user_id = $1', [e.user.id]);
    expect(rows[0].secret_sealed).toMatch(/^v1\./);
    expect(rows[0].secret_sealed).not.toContain(e.secret);
    const codes = await h.pool.query('SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1', [e.user.id]);
    expect(codes.rows.map((r) => r.code_hash)).not.toContain(e.recoveryCodes[0]);
    const status = await h.app.inject({ url: '/auth/mfa', headers: bearer(e.token) });
    expect(status.json()).toEqual({ totp: true, passkeys: [], recoveryCodesRemaining: 10 });
    const types = (await h.events())
      .filter((ev) => ev.subject === e.user.id)
      .map((ev) => [ev.type, (ev as { factor?: string }).factor]);
    expect(types).toContainEqual(['auth.mfa.enrolled', 'totp']);
    expect(types).toContainEqual(['auth.mfa.enrolled', 'recovery']);
    // An auditor sees another user's factors; anyone else is refused.
    const auditor = await h.addUser({ roles: ['auditor'] });
    const auditorToken = (await h.login(auditor.username, auditor.password)).json().accessToken;
    const admin = await h.app.inject({ url: `/auth/admin/users/${e.user.id}/mfa`, headers: bearer(auditorToken) });
    expect(admin.json()).toEqual({ totp: true, passkeys: [], recoveryCodesRemaining: 10 });
    expect(
      (await h.app.inject({ url: `/auth/admin/users/${e.user.id}/mfa`, headers: bearer(e.token) })).statusCode,
    ).toBe(403);
    // A second enrolment while one is confirmed is refused.
    expect((await h.app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: bearer(e.token) })).statusCode).toBe(
      409,
    );
  });

  it('logs in in two steps: no session after the password, amr and auth_time after the code', async () => {
    const e = await enrolTotp(h);
    const challenge = await challengeFor(e.user.username, e.user.password);
    expect(await h.inspect.exists(mfaChallengeKey(challenge))).toBe(1);
    await awayFromStepEdge();
    const res = await step2({ challenge, method: 'totp', code: totpCode(e.secret) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const hash = await h.inspect.hgetall(sessionKey(body.sessionId));
    expect(hash).toMatchObject({ sub: e.user.id, amr: 'pwd,otp', at: hash.iat });
    expect(await h.inspect.object('ENCODING', sessionKey(body.sessionId))).toBe('listpack');
    expect(decodeJwt(body.accessToken)).toMatchObject({ amr: ['pwd', 'otp'], auth_time: Number(hash.iat) });
    // Single use: the challenge is gone.
    expect(await h.inspect.exists(mfaChallengeKey(challenge))).toBe(0);
    const again = await step2({ challenge, method: 'totp', code: totpCode(e.secret) });
    expect(again.statusCode).toBe(401);
    const events = (await h.events()).filter((ev) => ev.subject === e.user.id).map((ev) => ev.type);
    expect(events.slice(-2)).toEqual(['auth.mfa.succeeded', 'auth.login.succeeded']);
  });

  it('accepts one step of clock skew either way, refuses two, and refuses a replayed code', async () => {
    const user = await h.addUser();
    const auth = bearer((await h.login(user.username, user.password)).json().accessToken);
    const { secret } = (await h.app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: auth })).json();
    const confirm = (offset: number) =>
      h.app.inject({
        method: 'POST',
        url: '/auth/mfa/totp/confirm',
        headers: auth,
        payload: { code: totpCode(secret, offset) },
      });
    await awayFromStepEdge(8);
    expect((await confirm(-60)).statusCode).toBe(401);
    expect((await confirm(60)).statusCode).toBe(401);
    expect((await confirm(-30)).statusCode).toBe(200);

    const login = async (offset: number) =>
      await step2({
        challenge: await challengeFor(user.username, user.password),
        method: 'totp',
        code: totpCode(secret, offset),
      });
    expect((await login(60)).statusCode).toBe(401);
    expect((await login(0)).statusCode).toBe(200);
    const replay = await login(0);
    expect(replay.statusCode).toBe(401);
    const failed = (await h.events()).filter((ev) => ev.subject === user.id && ev.type === 'auth.mfa.failed');
    expect(failed.map((ev) => ev.reason)).toEqual(['invalid_code', 'code_replayed']);
    expect(failed.at(-1)).toMatchObject({ factor: 'totp' });
    expect((await login(30)).statusCode).toBe(200);
    // A code older than one already accepted is refused too.
    expect((await login(0)).statusCode).toBe(401);
  });
});

describe('the second step', () => {
  it('allows 5 codes per challenge, then deletes it and reports it', async () => {
    const e = await enrolTotp(h);
    const challenge = await challengeFor(e.user.username, e.user.password);
    for (let i = 0; i < 5; i++) {
      expect((await step2({ challenge, method: 'totp', code: '000000' })).statusCode).toBe(401);
    }
    const sixth = await step2({ challenge, method: 'totp', code: totpCode(e.secret, 30) });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().error).toBe('too_many_attempts');
    expect(await h.inspect.exists(mfaChallengeKey(challenge))).toBe(0);
    const mine = (await h.events()).filter((ev) => ev.subject === e.user.id);
    expect(mine.filter((ev) => ev.type === 'auth.mfa.failed')).toHaveLength(5);
    expect(mine.at(-1)).toMatchObject({ type: 'auth.mfa.challenge_expired', reason: 'too_many_attempts_challenge' });
    expect(Number(await h.inspect.get(loginFailuresKey(e.user.username)))).toBe(5);
  });

  it("counts against the account's login limit", async () => {
    const limited = await startAuth({ LOGIN_MAX_ATTEMPTS: '3' });
    try {
      const e = await enrolTotp(limited);
      // The enrolment's login was attempt 1; step 1 is 2, step 2 is 3, the next step 2 is over the limit.
      const challenge = (await limited.login(e.user.username, e.user.password)).json().challenge;
      const post = (code: string) =>
        limited.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { challenge, method: 'totp', code } });
      expect((await post('000000')).statusCode).toBe(401);
      const over = await post('000001');
      expect(over.statusCode).toBe(429);
      expect(over.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });

  it('reports a challenge answered after it expired', async () => {
    const e = await enrolTotp(h);
    const challenge = await challengeFor(e.user.username, e.user.password);
    await h.inspect.hset(mfaChallengeKey(challenge), 'exp', String(Math.floor(Date.now() / 1000) - 1));
    const late = await step2({ challenge, method: 'totp', code: totpCode(e.secret, 30) });
    expect(late.statusCode).toBe(401);
    expect((await h.events()).at(-1)).toMatchObject({
      type: 'auth.mfa.challenge_expired',
      subject: e.user.id,
      reason: 'expired',
    });
    expect((await step2({ challenge: 'x'.repeat(22), method: 'totp', code: '123456' })).statusCode).toBe(401);
  });

  it('names the missing code in a 400', async () => {
    const e = await enrolTotp(h);
    const challenge = await challengeFor(e.user.username, e.user.password);
    const res = await step2({ challenge, method: 'totp' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('code');
  });
});

describe('recovery codes', () => {
  it('log in once each, as an event, and are replaced on demand with a fresh factor', async () => {
    const e = await enrolTotp(h);
    const [first, second] = e.recoveryCodes;
    const ok = await step2({
      challenge: await challengeFor(e.user.username, e.user.password),
      method: 'recovery',
      code: first?.toUpperCase(),
    });
    expect(ok.statusCode).toBe(200);
    expect(decodeJwt(ok.json().accessToken).amr).toEqual(['pwd', 'otp']);
    expect(
      (await h.events())
        .filter((ev) => ev.subject === e.user.id)
        .map((ev) => ev.type)
        .slice(-2),
    ).toEqual(['auth.mfa.recovery_used', 'auth.login.succeeded']);
    const reused = await step2({
      challenge: await challengeFor(e.user.username, e.user.password),
      method: 'recovery',
      code: first,
    });
    expect(reused.statusCode).toBe(401);
    const status = await h.app.inject({ url: '/auth/mfa', headers: bearer(ok.json().accessToken) });
    expect(status.json().recoveryCodesRemaining).toBe(9);

    const regen = await h.app.inject({
      method: 'POST',
      url: '/auth/mfa/recovery-codes',
      headers: bearer(ok.json().accessToken),
    });
    expect(regen.statusCode).toBe(200);
    expect(regen.json().recoveryCodes).toHaveLength(10);
    const old = await step2({
      challenge: await challengeFor(e.user.username, e.user.password),
      method: 'recovery',
      code: second,
    });
    expect(old.statusCode).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('lists the second-factor routes', async () => {
    const doc = (await h.app.inject('/docs/json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/auth/login/mfa',
        '/auth/login/passkey-options',
        '/auth/mfa',
        '/auth/mfa/totp',
        '/auth/mfa/totp/confirm',
        '/auth/mfa/recovery-codes',
        '/auth/mfa/step-up',
        '/auth/mfa/step-up/passkey-options',
        '/auth/mfa/passkeys/options',
        '/auth/mfa/passkeys',
        '/auth/mfa/passkeys/{id}',
        '/auth/admin/users/{userId}/mfa',
      ]),
    );
    // The login answers either a session or mfa_required.
    expect(JSON.stringify(doc.paths['/auth/login'].post.responses['200'])).toContain('mfa_required');
  });
});

describe('step-up and removal', () => {
  it('needs a recent second factor to remove TOTP; step-up adds it to the same session', async () => {
    const user = await h.addUser();
    const pwdOnly = (await h.login(user.username, user.password)).json();
    // Without any factor, removal and regeneration ask for a second factor (RFC 9470).
    const refused = await h.app.inject({
      method: 'DELETE',
      url: '/auth/mfa/totp',
      headers: bearer(pwdOnly.accessToken),
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toBe('insufficient_user_authentication');
    expect(refused.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');

    const e = await enrolTotp(h);
    const oldSession = (await h.login(e.user.username, e.user.password)).json();
    expect(oldSession.status).toBe('mfa_required');
    // The enrolling session proved the code: it carries otp and may remove.
    expect(await h.inspect.hget(sessionKey(e.sessionId), 'amr')).toBe('pwd,otp');
    await h.inspect.hset(sessionKey(e.sessionId), 'at', String(Math.floor(Date.now() / 1000) - 3600));
    const stale = await h.app.inject({ method: 'DELETE', url: '/auth/mfa/totp', headers: bearer(e.token) });
    expect(stale.statusCode).toBe(401);
    expect(stale.headers['www-authenticate']).toContain('max_age=300');

    await awayFromStepEdge();
    const up = await h.app.inject({
      method: 'POST',
      url: '/auth/mfa/step-up',
      headers: bearer(e.token),
      payload: { method: 'totp', code: totpCode(e.secret, 30) },
    });
    expect(up.statusCode).toBe(200);
    expect(up.json().sessionId).toBe(e.sessionId);
    expect(decodeJwt(up.json().accessToken)).toMatchObject({ sid: e.sessionId, amr: ['pwd', 'otp'] });
    const removed = await h.app.inject({
      method: 'DELETE',
      url: '/auth/mfa/totp',
      headers: bearer(up.json().accessToken),
    });
    expect(removed.statusCode).toBe(200);
    expect((await h.events()).filter((ev) => ev.subject === e.user.id).at(-1)).toMatchObject({
      type: 'auth.mfa.removed',
      factor: 'totp',
    });
    // No factor left: the recovery codes went with it and login is one step again.
    expect((await h.login(e.user.username, e.user.password)).json().accessToken).toBeDefined();
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1', [
      e.user.id,
    ]);
    expect(rows[0].n).toBe(0);
  });
});
