import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `x-gatehouse-signature` value of a webhook body: `sha256=` and the hex
 * HMAC-SHA256 of the raw body bytes with the shared secret.
 *
 * @example
 * ```ts
 * const header = signWebhook(secret, body); // 'sha256=5f2b…'
 * ```
 */
export function signWebhook(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * What a receiver does: recompute the HMAC over the raw body (before any JSON
 * parsing), compare in constant time, and refuse a `timestamp` (in the signed
 * body) older than `toleranceSeconds`, so a captured request cannot be replayed.
 *
 * @example
 * ```ts
 * if (!isWebhookSignatureValid(secret, rawBody, req.headers['x-gatehouse-signature'])) return res.writeHead(401).end();
 * ```
 */
export function isWebhookSignatureValid(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
  options: { toleranceSeconds?: number; now?: Date } = {},
): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(secret, rawBody));
  const given = Buffer.from(header);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const { timestamp } = JSON.parse(rawBody.toString()) as { timestamp?: unknown };
  const now = (options.now ?? new Date()).getTime() / 1000;
  return typeof timestamp === 'number' && Math.abs(now - timestamp) <= (options.toleranceSeconds ?? 300);
}
