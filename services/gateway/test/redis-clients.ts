import { closeRedis, createRedis, type Logger, waitForRedis } from '@gatehouse/runtime';

/** The gateway's three Redis clients on `url`, each answering, and `close` for all of them. */
export async function gatewayClients(url: string, logger: Logger) {
  const make = (name: string, role?: 'subscriber') => createRedis({ url, logger, name, ...(role ? { role } : {}) });
  const redis = { sessions: make('s'), invalidations: make('i', 'subscriber'), rateLimit: make('r') };
  const clients = Object.values(redis);
  const close = async () => {
    await Promise.all(clients.map((c) => closeRedis(c)));
  };
  await Promise.all(clients.map((c) => waitForRedis(c))).catch(async (err) => {
    await close();
    throw err;
  });
  return { redis, close };
}
