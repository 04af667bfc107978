import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { defaultServiceName, UNTRACED_PATHS } from './settings.js';

const untraced = (path: string | undefined) => UNTRACED_PATHS.includes((path ?? '').split('?')[0] ?? '');

/** The instrumentations every service gets: http and undici (both ways), Fastify routes, ioredis, pg. */
function instrumentations() {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => untraced(request.url) }),
    new UndiciInstrumentation(),
    new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: (route) => untraced(route.url) }),
    // Only commands made inside a traced operation: the consumer's blocking reads and BullMQ's polling stay out.
    new IORedisInstrumentation({ requireParentSpan: true }),
    new PgInstrumentation({ requireParentSpan: true }),
  ];
}

/**
 * Starts the OpenTelemetry NodeSDK before the service's own modules load.
 * Exporter, sampler and batching come from the standard `OTEL_*` variables;
 * metrics and logs are not exported through OpenTelemetry unless
 * `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` ask for it (Prometheus
 * `/metrics` and pino stdout are the defaults).
 *
 * The ESM loader hook (import-in-the-middle) is registered only for the
 * modules the instrumentations name, so nothing else is wrapped.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<NodeSDK> {
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: defaultServiceName(process.argv[1]) }),
    instrumentations: instrumentations(),
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return sdk;
}
