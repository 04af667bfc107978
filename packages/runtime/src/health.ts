import { HealthResponseSchema } from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** A readiness check: resolves with optional details, or throws when not ready. */
export type ReadinessCheck = () => Promise<unknown>;

/** Options of the health plugin. */
export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  timeoutMs?: number;
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

/** `/healthz`: the process is up. `/readyz`: every dependency answers. */
export default fp(
  async function health(app: FastifyInstance, options: HealthOptions) {
    const timeoutMs = options.timeoutMs ?? 1000;
    const schema = { hide: true, response: { 200: HealthResponseSchema, 503: HealthResponseSchema } };
    app.get('/healthz', { schema, logLevel: 'warn' }, async () => ({ status: 'ok' as const }));
    app.get('/readyz', { schema, logLevel: 'warn' }, async (_request, reply) => {
      const names = Object.keys(options.checks);
      const results = await Promise.all(names.map((n) => runCheck(options.checks[n] as ReadinessCheck, timeoutMs)));
      const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
      const ready = results.every((r) => r.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    });
  },
  { name: 'gatehouse-health', fastify: '5.x' },
);
