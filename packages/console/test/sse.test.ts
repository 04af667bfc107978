import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventSourceMessage } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { prependLive, readSse, reconnectDelay, toLiveItem } from '../src/web/lib/sse.js';

const EVENT = {
  id: '0190b4c8-0000-7000-8000-000000000001',
  type: 'auth.login.failed',
  version: 1,
  occurredAt: '2026-03-10T10:00:00.000Z',
  source: 'auth',
  subject: null,
  username: 'ann',
  sessionId: null,
  ip: '10.0.0.1',
  userAgent: 'curl/8',
  reason: 'invalid_credentials',
  traceparent: null,
};

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A real HTTP server writing `chunks` one by one, so messages arrive split at awkward places. */
async function serve(chunks: Array<string | Buffer>): Promise<string> {
  server = createServer((_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = (): void => {
      const chunk = chunks[i++];
      if (chunk === undefined) {
        res.end();
        return;
      }
      res.write(chunk);
      setTimeout(next, 5);
    };
    next();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('SSE parsing glue', () => {
  it('reads messages split across chunks (even inside a UTF-8 character), skipping comments', async () => {
    const payload = `id: 7\nevent: audit-event\ndata: ${JSON.stringify({ ...EVENT, username: 'zoë' })}\n\n`;
    const bytes = Buffer.from(`: heartbeat\n\n${payload}retry: 2500\n\ndata: second\n\n`);
    const cut = bytes.indexOf(Buffer.from('ë')) + 1;
    const url = await serve([bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut)]);
    const response = await fetch(url);
    const messages: EventSourceMessage[] = [];
    let retry = 0;
    if (!response.body) throw new Error('no body');
    await readSse(response.body, { onMessage: (m) => messages.push(m), onRetry: (ms) => (retry = ms) });
    expect(messages.map((m) => [m.id, m.event])).toEqual([
      ['7', 'audit-event'],
      [undefined, undefined],
    ]);
    expect(JSON.parse(messages[0]?.data ?? '').username).toBe('zoë');
    expect(messages[1]?.data).toBe('second');
    expect(retry).toBe(2500);
  });

  it('stops reading when aborted', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(EVENT)}\n\n`);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      signal: controller.signal,
    });
    const seen: string[] = [];
    if (!response.body) throw new Error('no body');
    const reading = readSse(response.body, { onMessage: (m) => seen.push(m.data) }, controller.signal);
    await expect.poll(() => seen.length).toBe(1);
    controller.abort();
    await reading.catch(() => undefined);
    server.closeAllConnections();
    expect(seen).toHaveLength(1);
  });

  it('turns messages into live rows and ignores what is not an event or an alert', () => {
    expect(toLiveItem({ id: '1', data: JSON.stringify(EVENT) })).toEqual({ kind: 'event', id: '1', event: EVENT });
    const alert = {
      id: 'a1',
      rule: 'brute_force',
      subject: 'ann',
      windowStart: '',
      windowEnd: '',
      eventIds: [],
      createdAt: '',
    };
    expect(toLiveItem({ event: 'alert', id: undefined, data: JSON.stringify(alert) })).toEqual({
      kind: 'alert',
      id: undefined,
      alert,
    });
    expect(toLiveItem({ event: 'error', id: undefined, data: '{"error":"dependency_unavailable"}' })).toEqual({
      kind: 'error',
      id: undefined,
      error: 'dependency_unavailable',
    });
    expect(toLiveItem({ data: 'not json' })).toBeNull();
    expect(toLiveItem({ data: '[1,2]' })).toBeNull();
    expect(toLiveItem({ data: JSON.stringify({ type: 'auth.logout' }) })).toBeNull();
    expect(toLiveItem({ event: 'alert', data: JSON.stringify(EVENT) })).toBeNull();
  });

  it('keeps the newest rows on top, bounded', () => {
    expect(prependLive([3, 2, 1], [4, 5], 4)).toEqual([5, 4, 3, 2]);
  });

  it('backs off reconnects exponentially up to a cap', () => {
    expect([0, 1, 2, 3, 10].map((n) => reconnectDelay(n, 500, 4_000))).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
  });
});
