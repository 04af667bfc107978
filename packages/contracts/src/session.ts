import { type Static, Type } from '@sinclair/typebox';

/**
 * The fields of a `session:{sid}` hash as written by auth and read by the
 * gateway. Values are short so the hash stays in Redis' compact listpack
 * encoding (see docs/performance.md): times are epoch seconds, roles are
 * comma-separated and the user agent is a truncated digest.
 */
export const SessionHashSchema = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  roles: Type.String({ description: 'comma-separated roles' }),
  createdAt: Type.String({ description: 'epoch seconds' }),
  expiresAt: Type.String({ description: 'epoch seconds' }),
  ip: Type.String(),
  ua: Type.String({ description: 'first 16 hex digits of SHA-256 of the user agent' }),
});
/** A `session:{sid}` hash as stored. */
export type SessionHash = Static<typeof SessionHashSchema>;

/** Hash field refreshed when the optional idle timeout is on (epoch seconds). */
export const SESSION_LAST_SEEN_FIELD = 'lastSeenAt';

/** Splits the stored `roles` field into a list. */
export function parseRoles(roles: string): string[] {
  return roles === '' ? [] : roles.split(',');
}
