import { HealthResponseSchema } from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Startup } from './startup.js';

/** A readiness check: resolves with optional details, or throws when not ready. */
type ReadinessCheck = () => Promise<unknown>;

/** Options of the health plugin. */
interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  timeoutMs?: number;
  /** Start-up steps: run in the background from `onReady`, reported as the `startup` check until done. */
  startup?: Startup;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<{ ok: boolean; detail: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, detail: detail ?? 'ok' };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process is up (from the moment it listens, start-up steps
 * or not). `/readyz`: start-up is done and every dependency answers.
 */
export default fp(
  async function health(app: FastifyInstance, options: HealthOptions) {
    const timeoutMs = options.timeoutMs ?? 1000;
    const { startup } = options;
    const all: Record<string, ReadinessCheck> = startup
      ? { startup: startup.check, ...options.checks }
      : options.checks;
    if (startup) {
      app.addHook('onReady', async () => startup.start());
      app.addHook('preClose', async () => startup.stop());
    }
    const schema = { hide: true, response: { 200: HealthResponseSchema, 503: HealthResponseSchema } };
    app.get('/healthz', { schema, logLevel: 'warn' }, async () => ({ status: 'ok' as const }));
    app.get('/readyz', { schema, logLevel: 'warn' }, async (_request, reply) => {
      const names = Object.keys(all);
      const results = await Promise.all(names.map((n) => runCheck(all[n] as ReadinessCheck, timeoutMs)));
      const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
      const ready = results.every((r) => r.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    });
  },
  { name: 'gatehouse-health', fastify: '5.x' },
);
