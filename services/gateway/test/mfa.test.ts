import { awayFromStepEdge, totpCode as code } from '@gatehouse/auth/testing';
import { sessionKey } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

let stack: Stack;
let open: string;
beforeAll(async () => {
  stack = await startStack({ audit: false, gateways: 0 });
  // The echo upstream stands in for audit, so what reaches "/audit" is visible.
  const env = { AUDIT_URL: stack.upstream.url };
  await stack.startGateway({ ...env, MFA_REQUIRED_ROUTES: '/audit,/api/echo' });
  open = (await stack.startGateway(env)).url;
});
afterAll(() => stack?.close());

const gw = () => stack.gateway.url;
const json = { 'content-type': 'application/json' };

async function call(path: string, token: string, init: { method?: string; body?: unknown; base?: string } = {}) {
  return await fetch(`${init.base ?? gw()}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...bearer(token), ...(init.body === undefined ? {} : json) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

describe('second factor through the gateway', () => {
  it('refuses /audit and a listed upstream without a second factor (RFC 9470), not elsewhere', async () => {
    const auditor = await stack.addUser(['auditor']);
    const { token } = await stack.token(auditor);
    for (const path of ['/audit/events', '/api/echo/x']) {
      const res = await call(path, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'insufficient_user_authentication' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="insufficient_user_authentication"/);
    }
    expect((await call('/audit/events', token, { base: open })).status).toBe(200);
    expect((await call('/verify?mfa=true', token)).status).toBe(401);
    expect((await call('/verify', token)).status).toBe(200);
  });

  it('enrols TOTP, logs in in two steps, and steps up a password-only session of the same user', async () => {
    const auditor = await stack.addUser(['auditor']);
    const enrolling = await stack.token(auditor);
    const other = await stack.token(auditor);
    await awayFromStepEdge(8);
    const enrolment = (await (await call('/auth/mfa/totp', enrolling.token, { body: {} })).json()) as {
      secret: string;
    };
    const confirm = await call('/auth/mfa/totp/confirm', enrolling.token, {
      body: { code: code(enrolment.secret, -30) },
    });
    expect(confirm.status).toBe(200);
    // The enrolling session proved the code; the policy lets it through (the gateway's cache saw the change).
    expect((await call('/audit/events', enrolling.token)).status).toBe(200);
    expect((await call('/audit/events', other.token)).status).toBe(401);

    const step1 = await fetch(`${gw()}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: auditor.username, password: auditor.password }),
    });
    const { status, challenge } = (await step1.json()) as { status: string; challenge: string };
    expect(status).toBe('mfa_required');
    const step2 = await fetch(`${gw()}/auth/login/mfa`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ challenge, method: 'totp', code: code(enrolment.secret) }),
    });
    expect(step2.status).toBe(200);
    const session = (await step2.json()) as { accessToken: string; sessionId: string };
    expect((await call('/audit/events', session.accessToken)).status).toBe(200);
    expect(await stack.inspect.hget(sessionKey(session.sessionId), 'amr')).toBe('pwd,otp');

    const up = await call('/auth/mfa/step-up', other.token, {
      body: { method: 'totp', code: code(enrolment.secret, 30) },
    });
    expect(up.status).toBe(200);
    expect(((await up.json()) as { sessionId: string }).sessionId).toBe(other.sessionId);
    // The session is the source of truth: the old token of the same session now passes too.
    expect((await call('/audit/events', other.token)).status).toBe(200);
    expect((await call('/verify?mfa=true', other.token)).status).toBe(200);
  });
});
