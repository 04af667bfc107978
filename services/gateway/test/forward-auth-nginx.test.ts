import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoedRequest } from '../../../test/support/echo-upstream.js';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';
import { startNginx, type TestNginx } from './support/nginx.js';

let stack: Stack;
let nginx: TestNginx;
beforeAll(async () => {
  stack = await startStack({ audit: false });
  nginx = await startNginx(stack.gateway.url, stack.upstream.url);
});
afterAll(async () => {
  await nginx?.stop();
  await stack?.close();
});

describe('nginx auth_request in front of an upstream, with GET /verify', () => {
  it('lets a valid token through with identity headers, replacing forged ones', async () => {
    const user = await stack.addUser(['user']);
    const { token, sessionId: sid } = await stack.token(user);
    const res = await fetch(`${nginx.url}/orders/1`, {
      headers: { ...bearer(token), 'x-user-id': 'evil', 'x-user-roles': 'auditor' },
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as EchoedRequest;
    expect(echoed.url).toBe('/orders/1');
    expect(echoed.headers['x-user-id']).toBe(user.id);
    expect(echoed.headers['x-user-roles']).toBe('user');
    expect(echoed.headers['x-session-id']).toBe(sid);
  });

  it('refuses a missing, garbage or logged-out token with 401', async () => {
    expect((await fetch(`${nginx.url}/orders/1`)).status).toBe(401);
    expect((await fetch(`${nginx.url}/orders/1`, { headers: bearer('garbage') })).status).toBe(401);
    const { token } = await stack.token(await stack.addUser());
    expect((await fetch(`${nginx.url}/orders/2`, { headers: bearer(token) })).status).toBe(200);
    const gateway = stack.gateway.url;
    expect((await fetch(`${gateway}/auth/logout`, { method: 'POST', headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${nginx.url}/orders/2`, { headers: bearer(token) })).status).toBe(401);
  });

  it('answers 403 for a missing role and 200 with it', async () => {
    const plain = await stack.token(await stack.addUser(['user']));
    expect((await fetch(`${nginx.url}/admin/report`, { headers: bearer(plain.token) })).status).toBe(403);
    const auditor = await stack.token(await stack.addUser(['auditor']));
    const res = await fetch(`${nginx.url}/admin/report`, { headers: bearer(auditor.token) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as EchoedRequest).headers['x-user-roles']).toBe('auditor');
  });
});
