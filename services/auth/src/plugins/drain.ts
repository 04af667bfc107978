import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Answers with `Connection: close` once the server has stopped listening.
 * Node closes only the keep-alive connections that are idle when `close()` is
 * called; one that was busy would otherwise stay open for the keep-alive
 * timeout and hold up the SIGTERM shutdown past its grace period.
 */
export default fp(
  async function drain(app: FastifyInstance) {
    app.addHook('onSend', async (_request, reply) => {
      if (!app.server.listening) reply.header('connection', 'close');
    });
  },
  { name: 'gatehouse-auth-drain', fastify: '5.x' },
);
