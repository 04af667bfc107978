import { createServer } from 'node:http';

/**
 * The demo upstream behind `/api/demo`: it answers with the identity headers
 * it received, so the walk-through shows what an upstream sees.
 */
export function startDemoUpstream(port: number): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    const identity = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-')));
    res.setHeader('content-type', 'application/json');
    res.end(`${JSON.stringify({ upstream: 'demo', method: req.method, url: req.url, identity }, null, 2)}\n`);
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise((r) => server.close(() => r())))),
  );
}
