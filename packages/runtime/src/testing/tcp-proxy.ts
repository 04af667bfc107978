import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

/** A TCP proxy a test can cut to make a dependency unreachable. */
export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again. */
  restore(): Promise<void>;
  /** Changes `replyDelayMs` for what the target sends from now on (bytes already held keep their order). */
  setReplyDelay(ms: number): void;
  close(): Promise<void>;
}

/**
 * Forwards 127.0.0.1:<port> to `target`, so a test can take PostgreSQL or
 * Redis away from one service without stopping the shared server.
 * `replyDelayMs` delivers what the target sends that much later, in order
 * (a Redis whose replies and pushes reach one client late).
 */
export async function startTcpProxy(
  target: { host: string; port: number },
  options: { replyDelayMs?: number } = {},
): Promise<TcpProxy> {
  let delay = options.replyDelayMs ?? 0;
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        // Each chunk leaves `delay` after it arrived, never before the chunk ahead of it.
        const held: Array<{ at: number; chunk: Buffer }> = [];
        let releasing = false;
        const release = () => {
          while (held[0] && held[0].at <= Date.now()) {
            const { chunk } = held.shift() as { chunk: Buffer };
            if (client.writable) client.write(chunk);
          }
          releasing = held[0] !== undefined;
          if (held[0]) setTimeout(release, held[0].at - Date.now());
        };
        upstream.on('data', (chunk: Buffer) => {
          if (delay === 0 && held.length === 0) {
            client.write(chunk);
            return;
          }
          held.push({ at: Math.max(Date.now() + delay, held.at(-1)?.at ?? 0), chunk });
          if (!releasing) {
            releasing = true;
            setTimeout(release, delay);
          }
        });
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const stop = async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  await listen();
  const setReplyDelay = (ms: number) => {
    delay = ms;
  };
  return { port, cut: stop, restore: listen, close: stop, setReplyDelay };
}

/**
 * A {@link startTcpProxy} in front of the server a `postgres://` or
 * `redis://` URL names, with `url`: the same URL through the proxy.
 *
 * @example
 * ```ts
 * const proxy = await proxyFor(db.url);
 * const pool = createPool({ url: proxy.url, logger, name: 'behind-proxy' });
 * ```
 */
export async function proxyFor(
  url: string,
  options: { replyDelayMs?: number } = {},
): Promise<TcpProxy & { url: string }> {
  const target = new URL(url);
  const defaultPort = target.protocol.startsWith('redis') ? 6379 : 5432;
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || defaultPort) }, options);
  target.hostname = '127.0.0.1';
  target.port = String(proxy.port);
  return { ...proxy, url: target.toString() };
}
