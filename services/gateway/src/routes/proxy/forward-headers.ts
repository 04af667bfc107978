import type { FastifyRequest } from 'fastify';

/** Request headers as Node and reply-from hand them over. */
export type Headers = Record<string, string | string[] | undefined>;

/**
 * Headers that never cross the gateway: the hop-by-hop fields of RFC 9110
 * §7.6.1 (and the proxy credentials of RFC 9110 §11.7, which are for this
 * hop), and the client's own forwarding claims, which the gateway replaces
 * with its own `x-forwarded-for` / `x-forwarded-proto`.
 */
const DROPPED = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'forwarded',
  'x-real-ip',
]);

/**
 * The headers an upstream receives: the client's minus {@link DROPPED}, minus
 * any `x-forwarded-*`, minus any name with `_` (CGI and WSGI servers read
 * `x_user_id` as `X-User-Id`; nginx drops them too); then the gateway's own
 * forwarding headers. reply-from has already removed what `Connection` lists
 * (before this runs, so a client cannot name the gateway's own headers there).
 * Identity headers are set by the caller after this.
 */
export function upstreamHeaders(request: FastifyRequest, headers: Headers): Headers {
  const out: Headers = {};
  for (const name in headers) {
    if (DROPPED.has(name) || name.startsWith('x-forwarded-') || name.includes('_')) continue;
    out[name] = headers[name];
  }
  out['x-forwarded-for'] = request.ip;
  out['x-forwarded-proto'] = request.protocol;
  return out;
}
