import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

/** The hop-by-hop fields of RFC 9110 §7.6.1: for one connection, in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers that never cross the gateway: {@link HOP_BY_HOP}, the proxy
 * credentials of RFC 9110 §11.7 (which are for this hop), and the client's own
 * forwarding claims, which the gateway replaces with its own
 * `x-forwarded-for` / `x-forwarded-proto`.
 */
const DROPPED = new Set([...HOP_BY_HOP, 'proxy-authorization', 'proxy-authenticate', 'forwarded', 'x-real-ip']);

const NONE: readonly string[] = [];

/**
 * The names a `Connection` header lists (RFC 9110 §7.6.1), lowercased; none
 * without one, or for the usual lone `keep-alive` / `close` (no other header
 * to drop; `keep-alive` is hop-by-hop anyway), which every upstream answer
 * carries and which then costs no split.
 */
function connectionListed(connection: string | string[] | undefined): readonly string[] {
  if (typeof connection !== 'string' || connection === 'keep-alive' || connection === 'close') return NONE;
  return connection
    .toLowerCase()
    .split(',')
    .map((name) => name.trim());
}

/** Appends `name: value` (each value of a repeated header) to a flat `[name, value, …]` list. */
function push(out: string[], name: string, value: string | string[]): void {
  if (typeof value === 'string') out.push(name, value);
  else for (const one of value) out.push(name, one);
}

/** What {@link upstreamHeaders} needs of the request and the route. */
export interface Forwarding {
  /** The upstream's `host` (its origin's host and port). */
  host: string;
  /** The client address as resolved with `TRUST_PROXY`. */
  ip: string;
  protocol: string;
  /** `Authorization` goes to auth only; other upstreams get the identity headers instead. */
  keepAuthorization: boolean;
}

/**
 * The headers an upstream receives, as undici's flat `[name, value, …]` list
 * (no per-request header object to build and copy): the client's minus
 * {@link DROPPED}, minus every name the client's `Connection` lists, minus any
 * `x-forwarded-*`, minus any name with `_` (CGI and WSGI servers read
 * `x_user_id` as `X-User-Id`; nginx drops them too), with `host` set to the
 * upstream's; then the gateway's own forwarding headers. The caller appends
 * the identity headers, so a client cannot name those in `Connection`.
 */
export function upstreamHeaders(headers: IncomingHttpHeaders, forwarding: Forwarding): string[] {
  const listed = connectionListed(headers.connection);
  const out: string[] = ['host', forwarding.host];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'host' || DROPPED.has(name)) continue;
    if (name.startsWith('x-forwarded-') || name.includes('_') || listed.includes(name)) continue;
    if (name === 'authorization' && !forwarding.keepAuthorization) continue;
    push(out, name, value);
  }
  out.push('x-forwarded-for', forwarding.ip, 'x-forwarded-proto', forwarding.protocol);
  return out;
}

/**
 * Sets on `reply` the headers of an upstream's answer a client receives: all
 * but the hop-by-hop ones and the names its `Connection` lists (Node writes
 * the client connection's own).
 */
export function copyToReply(headers: IncomingHttpHeaders, reply: FastifyReply): void {
  const listed = connectionListed(headers.connection);
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed.includes(name)) continue;
    reply.header(name, headers[name]);
  }
}
