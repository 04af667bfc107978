import { GatehouseError } from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createIdentityVerifier, type IdentityVerifierOptions, type UpstreamIdentity } from './identity.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, as the gateway's assertion proves it; set on every request the plugin lets through. */
    gatehouse: UpstreamIdentity | null;
  }
}

/** Options of {@link gatehouseIdentity}. */
export interface GatehouseIdentityOptions extends IdentityVerifierOptions {
  /** A role every caller must have (else 403 `insufficient_role`). */
  role?: string;
}

/**
 * A Fastify plugin that refuses every request of the app (and its child
 * plugins) without a valid gateway assertion: 401 `invalid_token`, 403
 * `insufficient_role` without `role`, 503 when the JWKS cannot be fetched,
 * each as `{ error, message }`. The identity is at `request.gatehouse`.
 *
 * @example
 * ```ts
 * await app.register(gatehouseIdentity, { audience: '/api/orders', jwksUrl });
 * app.get('/orders', async (request) => listOrders(request.gatehouse!.userId));
 * ```
 */
export const gatehouseIdentity = fp(
  async function gatehouseIdentity(app: FastifyInstance, options: GatehouseIdentityOptions) {
    const verify = createIdentityVerifier(options);
    app.decorateRequest('gatehouse', null);
    app.addHook('onRequest', async (request, reply) => {
      try {
        const identity = await verify(request);
        if (options.role !== undefined && !identity.roles.includes(options.role)) {
          throw new GatehouseError('insufficient_role', `The role "${options.role}" is required.`);
        }
        request.gatehouse = identity;
      } catch (err) {
        const refusal =
          err instanceof GatehouseError ? err : new GatehouseError('invalid_token', 'The assertion was refused.');
        return reply.code(refusal.statusCode).type('application/json').send(refusal.toBody());
      }
    });
  },
  { name: 'gatehouse-upstream-identity', fastify: '5.x' },
);
