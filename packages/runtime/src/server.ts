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
 * hook) and starts listening. Exits 0 after a clean close. Dependency calls
 * at start-up belong in a `Startup` (retried after listening), so the
 * only start-up error left here is one no retry can fix (the port is taken,
 * a plugin is broken): it is logged and the process exits 1 at once, after
 * at most `graceMs` of closing, never left half-closed.
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
  try {
    await options.app.listen({ host: options.host, port: options.port });
  } catch (err) {
    options.logger.fatal({ err }, 'failed to start');
    const timer = setTimeout(() => process.exit(1), options.graceMs ?? 10_000);
    timer.unref();
    await options.app.close().catch(() => undefined);
    process.exit(1);
  }
}
