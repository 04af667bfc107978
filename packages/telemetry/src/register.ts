// Preloaded with `node --import @gatehouse/telemetry/register` before a service's server module.
// Without OTEL_* settings nothing else is imported: no SDK, no loader hook, no patched module.
import { isTracingEnabled } from './settings.js';

if (isTracingEnabled(process.env)) {
  const { startTracing } = await import('./sdk.js');
  await startTracing();
}
