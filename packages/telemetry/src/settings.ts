/** Paths that are never traced: probes and scrapes would drown the real traffic. */
export const UNTRACED_PATHS = ['/healthz', '/readyz', '/metrics'];

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/**
 * Whether the standard `OTEL_*` variables ask for traces: `OTEL_SDK_DISABLED`
 * is not `true`, and `OTEL_TRACES_EXPORTER` names an exporter other than
 * `none`, or an OTLP endpoint is set. With none of them the SDK is never
 * loaded, so an unconfigured service pays nothing for tracing.
 *
 * @example
 * ```ts
 * isTracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }); // true
 * ```
 */
export function isTracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = list(env.OTEL_TRACES_EXPORTER);
  if (exporters.length > 0) return exporters.some((e) => e !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * The service name when `OTEL_SERVICE_NAME` is not set: `gatehouse-<service>`
 * from the entry script's path (`services/auth/src/server.ts` → `gatehouse-auth`).
 */
export function defaultServiceName(entry: string | undefined): string {
  const match = /services[\\/]([a-z0-9-]+)[\\/]/.exec(entry ?? '');
  return match ? `gatehouse-${match[1]}` : 'gatehouse';
}
