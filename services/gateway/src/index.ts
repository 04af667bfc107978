export type { GatewayApp, GatewayDeps, GatewayRedis } from './app.js';
export { buildApp } from './app.js';
export type { GatewayConfig, UpstreamRoute } from './config.js';
export { ConfigSchema, loadServiceConfig, parseUpstreams } from './config.js';
