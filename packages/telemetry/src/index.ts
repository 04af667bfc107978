export { instrumentations, startTracing } from './sdk.js';
export { defaultServiceName, isTracingEnabled, UNTRACED_PATHS } from './settings.js';
