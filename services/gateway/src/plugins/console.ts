import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { CONSOLE_BASE_PATH, CONSOLE_CSP, consoleDistPath } from '@gatehouse/console';
import { GatehouseError } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const ROOT = CONSOLE_BASE_PATH.slice(0, -1);
const ASSETS = `${CONSOLE_BASE_PATH}assets/`;

const isConsoleUrl = (url: string) => url === ROOT || url.startsWith(CONSOLE_BASE_PATH) || url.startsWith(`${ROOT}?`);

/** Cache policy: hashed assets forever, everything else (index.html) revalidated on every load. */
function cacheControl(request: FastifyRequest, reply: FastifyReply): string {
  return request.url.startsWith(ASSETS) && reply.statusCode === 200
    ? 'public, max-age=31536000, immutable'
    : 'no-cache';
}

/** Options of the console plugin. */
interface ConsoleOptions {
  /** The built page; defaults to `consoleDistPath()` of `@gatehouse/console`. */
  root?: string;
}

async function consoleFiles(app: FastifyInstance, options: { root: string }): Promise<void> {
  const index = join(options.root, 'index.html');
  app.addHook('onRequest', async () => {
    if (!existsSync(index)) {
      throw new GatehouseError(
        'dependency_unavailable',
        'The console is not built: run npm run build -w @gatehouse/console, then reload.',
      );
    }
  });
  await app.register(fastifyStatic, {
    root: options.root,
    prefix: CONSOLE_BASE_PATH,
    index: ['index.html'],
    decorateReply: false,
    cacheControl: false,
    serveDotFiles: false,
  });
}

/**
 * The audit console under `/console/`: the built files of `@gatehouse/console`
 * without authentication (the page holds no data; every API call carries the
 * token), `/console` redirected to `/console/`, and on every `/console`
 * response — files, redirects and errors alike — `CONSOLE_CSP` in place of
 * helmet's policy, `nosniff`, `no-referrer` and a cache policy. A 503 says so
 * while the console is not built.
 */
export default fp(
  async function consolePlugin(app: FastifyInstance, options: ConsoleOptions) {
    app.addHook('onSend', (request, reply, payload, done) => {
      if (isConsoleUrl(request.url)) {
        reply.header('content-security-policy', CONSOLE_CSP);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
        reply.header('cache-control', cacheControl(request, reply));
      }
      done(null, payload);
    });
    app.get(ROOT, async (_request, reply) => reply.redirect(CONSOLE_BASE_PATH, 301));
    await app.register(consoleFiles, { root: options.root ?? consoleDistPath() });
  },
  { name: 'gateway-console', fastify: '5.x' },
);
