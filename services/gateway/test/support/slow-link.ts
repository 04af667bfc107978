import { connect, createServer } from 'node:net';

/** A TCP proxy that delivers every reply `delayMs` late, in order. */
export interface SlowLink {
  url: string;
  close(): Promise<void>;
}

/**
 * Forwards to `target` (a `redis://host:port` URL) and delays what the server
 * sends by `delayMs`: a Redis whose pushes (invalidations) reach one client
 * late, as on a loaded network.
 */
export async function startSlowLink(target: string, delayMs: number): Promise<SlowLink> {
  const { hostname, port } = new URL(target);
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.pipe(upstream);
    // Timers of one delay fire in the order they were set, so the byte order holds.
    upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), delayMs));
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', () => setTimeout(close, delayMs));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
