import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** Options of {@link runServer}. */
export interface RunServerOptions {
  app: FastifyInstance;
  logger: Logger;
  host: string;
  port: number;
  graceMs?: number;
}

/**
 * Installs the one shutdown path (SIGTERM/SIGINT → `app.close()`, which
 * stops taking requests, finishes in-flight ones and runs every `onClose`
 * hook) and starts listening. Exits 0 after a clean close.
 *
 * @example
 * ```ts
 * await runServer({ app, logger, host: config.HOST, port: config.PORT });
 * ```
 */
export async function runServer(options: RunServerOptions): Promise<void> {
  closeWithGrace({ delay: options.graceMs ?? 10_000 }, async ({ signal, err }) => {
    if (err) options.logger.error({ err }, 'shutting down after an error');
    else options.logger.info({ signal }, 'shutting down');
    await options.app.close();
  });
  await options.app.listen({ host: options.host, port: options.port });
}
