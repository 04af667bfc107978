import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatehouseError } from '@gatehouse/contracts';
import { createIdentityVerifier } from '@gatehouse/upstream';

/** A running demo upstream. */
export interface DemoUpstream {
  url: string;
  close(): Promise<void>;
}

/**
 * The demo upstream behind `/api/demo`: it checks the gateway's identity
 * assertion with `@gatehouse/upstream` (a direct call without one gets 401)
 * and answers with the identity it proves and the `x-` headers it received,
 * so the walk-through shows what an upstream sees.
 */
export async function startDemoUpstream(options: { port: number; jwksUrl: string }): Promise<DemoUpstream> {
  const verify = createIdentityVerifier({ audience: '/api/demo', jwksUrl: options.jwksUrl });
  const server = createServer(async (req, res) => {
    res.setHeader('content-type', 'application/json');
    try {
      const identity = await verify(req);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-')));
      res.end(
        `${JSON.stringify({ upstream: 'demo', method: req.method, url: req.url, identity, headers }, null, 2)}\n`,
      );
    } catch (err) {
      const refusal = err instanceof GatehouseError ? err : new GatehouseError('invalid_token', 'Refused.');
      res.writeHead(refusal.statusCode).end(`${JSON.stringify(refusal.toBody())}\n`);
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
