import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../domain/client.js';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_USER_AGENT = 512;

/** The client address (honouring `TRUST_PROXY`), user agent and W3C traceparent of a request. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  const traceparent = request.headers.traceparent;
  return {
    ip: request.ip,
    userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT),
    traceparent: typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : null,
  };
}
