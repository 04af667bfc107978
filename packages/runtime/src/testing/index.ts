export type { TestDatabase } from './database.js';
export { createTestDatabase, TEST_PG_ADMIN_URL } from './database.js';
export { freePort, waitFor } from './ports.js';
export type { TestRedis } from './redis-server.js';
export { startRedis } from './redis-server.js';
export type { ServiceProcess } from './service-process.js';
export { NODE_TS_ARGS, startServiceProcess } from './service-process.js';
export type { TcpProxy } from './tcp-proxy.js';
export { proxyFor, startTcpProxy } from './tcp-proxy.js';
