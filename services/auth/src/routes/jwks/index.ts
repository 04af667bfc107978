import type { BaseApp } from '@gatehouse/runtime';
import { type Static, Type } from '@sinclair/typebox';
import type { KeyRing } from '../../domain/keys.js';

const JwksSchema = Type.Object({
  keys: Type.Array(
    Type.Object(
      {
        kty: Type.String(),
        crv: Type.String(),
        x: Type.String(),
        kid: Type.String(),
        alg: Type.String(),
        use: Type.String(),
      },
      { additionalProperties: true },
    ),
  ),
});

/** `GET /.well-known/jwks.json`: the public keys tokens may be signed with, newest first. */
export default async function jwksRoutes(app: BaseApp, options: { keys: KeyRing }) {
  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Public signing keys (JWKS)', tags: ['keys'], response: { 200: JwksSchema } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return options.keys.jwks as Static<typeof JwksSchema>;
    },
  );
}
