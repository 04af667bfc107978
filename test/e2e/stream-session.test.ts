import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { AUDIT_SESSION_CHECK_MS: '200', REDIS_COMMAND_TIMEOUT_MS: '5000' } });
}, 120_000);
afterAll(() => stack?.close());

/** Opens `/audit/stream` through the gateway; `ended` resolves with what was read once the server closes it. */
async function openStream(token: string): Promise<{ ended: Promise<string>; isOpen: () => boolean }> {
  const res = await fetch(`${stack.gateway.url}/audit/stream`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  let open = true;
  const ended = (async () => {
    let text = '';
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    open = false;
    return text;
  })();
  return { ended, isOpen: () => open };
}

const post = (path: string, token: string) =>
  fetch(`${stack.gateway.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

describe('the live stream ends with the session that opened it', () => {
  it('closes soon after that session logs out', async () => {
    const auditor = await stack.addUser(['auditor']);
    const { token } = await stack.token(auditor);
    const stream = await openStream(token);
    expect((await post('/auth/logout', token)).status).toBe(200);
    const loggedOutAt = Date.now();
    await waitFor(async () => !stream.isOpen(), 10_000, 'the stream to close after logout');
    expect(await stream.ended).toContain('event: session-ended');
    console.log(`stream closed ${Date.now() - loggedOutAt} ms after logout`);
  });

  it('closes soon after the session is revoked from another one (log out everywhere), and not before', async () => {
    const auditor = await stack.addUser(['auditor']);
    const first = await stack.token(auditor);
    const second = await stack.token(auditor);
    const stream = await openStream(first.token);
    await new Promise((r) => setTimeout(r, 1000));
    expect(stream.isOpen()).toBe(true);
    expect((await post('/auth/logout-all', second.token)).status).toBe(200);
    await waitFor(async () => !stream.isOpen(), 10_000, 'the stream to close after revocation');
    expect(await stream.ended).toContain('event: session-ended');
  });
});
