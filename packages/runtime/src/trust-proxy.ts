import { Type } from '@sinclair/typebox';
import type { FastifyServerOptions } from 'fastify';

const ADDRESS = String.raw`[0-9a-fA-F:.]+(?:/\d{1,3})?`;

/**
 * `TRUST_PROXY`, with one meaning in every service: whose `X-Forwarded-For`
 * to believe, as Fastify's `trustProxy`. `false` (the default): nobody's, the
 * client is the socket's peer. A hop count `n`: the last `n` proxies in front.
 * A comma-separated list of addresses/CIDRs: exactly those peers (the safest:
 * auth behind the gateway names the gateway). `true`: everybody's, which lets
 * any client choose its own address; only behind a network policy.
 */
export const TrustProxyEnv = {
  TRUST_PROXY: Type.String({
    default: 'false',
    pattern: `^(?:false|true|\\d+|${ADDRESS}(?:\\s*,\\s*${ADDRESS})*)$`,
    description: 'false, true, a hop count, or a comma-separated list of trusted proxy addresses/CIDRs',
  }),
};

/**
 * Turns a `TRUST_PROXY` value (already checked by {@link TrustProxyEnv}) into
 * Fastify's `trustProxy` option.
 *
 * @example
 * ```ts
 * parseTrustProxy('1'); // trusts the one proxy in front
 * parseTrustProxy('127.0.0.1, 10.0.0.0/8'); // ['127.0.0.1', '10.0.0.0/8']
 * ```
 */
export function parseTrustProxy(value: string): NonNullable<FastifyServerOptions['trustProxy']> {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return (_address: string, hop: number) => hop < hops;
  }
  return v.split(',').map((s) => s.trim());
}
