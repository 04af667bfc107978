import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LiveStatus, startLiveTail } from '../src/web/lib/live-tail.js';
import type { LiveItem } from '../src/web/lib/sse.js';

const event = (n: number) =>
  JSON.stringify({
    id: `e${n}`,
    type: 'auth.login.succeeded',
    occurredAt: '2026-03-10T10:00:00.000Z',
    username: `u${n}`,
  });

let server: Server | undefined;
afterEach(
  () =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server ? server.close(() => resolve()) : resolve();
    }),
);

async function listen(
  handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit/stream`;
}

describe('live tail over fetch', () => {
  it('reconnects after the stream drops and resumes from the last event id', async () => {
    const lastIds: (string | undefined)[] = [];
    const url = await listen((req, res) => {
      lastIds.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (lastIds.length === 1) res.end(`id: 1\ndata: ${event(1)}\n\nid: 2\ndata: ${event(2)}\n\n`);
      else res.write(`id: 3\ndata: ${event(3)}\n\n`);
    });
    const items: LiveItem[] = [];
    const statuses: LiveStatus[] = [];
    const tail = startLiveTail({
      open: (signal, lastEventId) =>
        fetch(url, { signal, headers: lastEventId ? { 'last-event-id': lastEventId } : {} }),
      onItem: (item) => items.push(item),
      onStatus: (status) => statuses.push(status),
      baseDelayMs: 20,
    });
    await expect.poll(() => items.length).toBe(3);
    tail.stop();
    await tail.done;
    expect(items.map((item) => (item.kind === 'event' ? item.event.id : item.kind))).toEqual(['e1', 'e2', 'e3']);
    expect(lastIds).toEqual([undefined, '2']);
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting', 'live', 'stopped']);
  });

  it('gives up on a fatal refusal instead of reconnecting', async () => {
    let calls = 0;
    const url = await listen((_req, res) => {
      calls += 1;
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end('{"error":"forbidden","message":"auditor role required"}');
    });
    const statuses: string[] = [];
    const tail = startLiveTail({
      open: async (signal) => {
        const response = await fetch(url, { signal });
        if (!response.ok) throw Object.assign(new Error('auditor role required'), { status: response.status });
        return response;
      },
      onItem: () => undefined,
      onStatus: (status, detail) => statuses.push(detail ? `${status}: ${detail}` : status),
      isFatal: (error) => (error as { status?: number }).status === 403,
      baseDelayMs: 10,
    });
    await tail.done;
    expect(calls).toBe(1);
    expect(statuses).toEqual(['connecting', 'refused: auditor role required']);
  });

  it('keeps retrying while the server is unreachable and connects once it answers', async () => {
    let up = false;
    const url = await listen((_req, res) => {
      if (!up) {
        res.writeHead(502).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${event(9)}\n\n`);
    });
    const items: LiveItem[] = [];
    let attempts = 0;
    const tail = startLiveTail({
      open: async (signal) => {
        attempts += 1;
        if (attempts === 3) up = true;
        const response = await fetch(url, { signal });
        if (!response.ok) throw new Error(`status ${response.status}`);
        return response;
      },
      onItem: (item) => items.push(item),
      onStatus: () => undefined,
      baseDelayMs: 10,
    });
    await expect.poll(() => items.length).toBe(1);
    tail.stop();
    await tail.done;
    expect(attempts).toBe(3);
  });
});
