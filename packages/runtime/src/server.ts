import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

/** What {@link runServer} needs of an app: any Fastify instance, whatever its type provider and logger type. */
interface ServerApp {
  listen(options: { host: string; port: number }): Promise<unknown>;
  close(): Promise<unknown>;
}

/** Options of {@link runServer}. */
export interface RunServerOptions {
  /** Builds the app (loads key files, calls `buildApp`); the app closes the clients on close. */
  build: () => Promise<ServerApp>;
  /** Closes the clients when `build` fails, as the app would have. */
  closeClients: () => Promise<void>;
  logger: Logger;
  host: string;
  port: number;
  graceMs?: number;
}

/**
 * The last step of every `server.ts`: builds the app, installs the one
 * shutdown path (SIGTERM/SIGINT → `app.close()`, which stops taking requests,
 * finishes in-flight ones and runs every `onClose` hook) and starts
 * listening. Exits 0 after a clean close. Dependency calls at start-up belong
 * in a `Startup` (retried after listening), so the only start-up errors left
 * here are ones no retry can fix (a key file that cannot be read, the port is
 * taken, a plugin is broken): each is logged as `failed to start` and the
 * process exits 1 at once, after at most `graceMs` of closing, never left
 * half-closed.
 *
 * @example
 * ```ts
 * await runServer({ build: () => buildApp(deps), closeClients, logger, host: config.HOST, port: config.PORT });
 * ```
 */
export async function runServer(options: RunServerOptions): Promise<void> {
  const graceMs = options.graceMs ?? 10_000;
  const fail = async (err: unknown, close: () => Promise<unknown>): Promise<never> => {
    options.logger.fatal({ err }, 'failed to start');
    setTimeout(() => process.exit(1), graceMs).unref();
    await close().catch(() => undefined);
    process.exit(1);
  };
  let app: ServerApp;
  try {
    app = await options.build();
  } catch (err) {
    return await fail(err, options.closeClients);
  }
  closeWithGrace({ delay: graceMs }, async ({ signal, err }) => {
    if (err) options.logger.error({ err }, 'shutting down after an error');
    else options.logger.info({ signal }, 'shutting down');
    await app.close();
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await fail(err, () => app.close());
  }
}
