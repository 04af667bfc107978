import type { KeyObject } from 'node:crypto';
import { AuditVerifyReportSchema, ErrorResponseSchema } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import { verifyTrail } from '../../domain/verify.js';

/** `GET /audit/verify`: recomputes the trail and reports OK or the first failing range. */
export default async function verifyRoutes(app: FastifyInstance, options: { pool: Pool; publicKey: KeyObject }) {
  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['trail'],
        summary: 'Recompute the hash chain, sequence and signed digests',
        description: 'Always 200; `ok` says whether the trail is intact and `failure` names the first failing range.',
        response: { 200: AuditVerifyReportSchema, 403: ErrorResponseSchema },
      },
    },
    async () => await verifyTrail(options.pool, options.publicKey),
  );
}
