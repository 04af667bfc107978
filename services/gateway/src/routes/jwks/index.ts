import { ASSERTION_JWKS_PATH } from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import type { AssertionSigner } from '../../domain/assertion-signer.js';

/** `GET /.well-known/gateway-jwks.json`: the public keys of the gateway's identity assertions. */
export default async function jwksRoutes(app: FastifyInstance, options: { signer: AssertionSigner }) {
  app.get(ASSERTION_JWKS_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send(options.signer.jwks),
  );
}
