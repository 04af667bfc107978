import {
  parseAmr,
  parseRoles,
  SESSION_AMR_FIELD,
  SESSION_FIELD_NAMES,
  SESSION_KEY_PREFIX,
  SESSION_LAST_SEEN_FIELD,
} from '@gatehouse/contracts';

/** The part of a `session:{sid}` hash the gateway needs. */
export interface SessionRecord {
  userId: string;
  username: string;
  roles: string[];
  /** Epoch milliseconds; the session is refused from then on even if Redis still holds it. */
  expiresAtMs: number;
  /** Epoch seconds of the last use (the idle timeout's stamp, else the creation). */
  lastSeenAt: number;
  /** How the user authenticated (RFC 8176 values; `pwd` for a session from before the field). */
  amr: string[];
}

/** The hash fields read with HMGET, in the order {@link toSessionRecord} expects. */
export const SESSION_FIELDS = [
  SESSION_FIELD_NAMES.userId,
  SESSION_FIELD_NAMES.username,
  SESSION_FIELD_NAMES.roles,
  SESSION_FIELD_NAMES.expiresAt,
  SESSION_LAST_SEEN_FIELD,
  SESSION_FIELD_NAMES.createdAt,
  SESSION_AMR_FIELD,
] as const;

/** Builds a record from an HMGET reply; `null` when the key is missing or malformed. */
export function toSessionRecord(values: (string | null)[]): SessionRecord | null {
  const [userId, username, roles, expiresAt, lastSeen, createdAt, amr] = values;
  if (!userId || expiresAt == null) return null;
  const expiresAtSeconds = Number(expiresAt);
  if (!Number.isFinite(expiresAtSeconds)) return null;
  return {
    userId,
    username: username ?? '',
    roles: parseRoles(roles ?? ''),
    expiresAtMs: expiresAtSeconds * 1000,
    lastSeenAt: Number(lastSeen ?? createdAt) || 0,
    amr: parseAmr(amr),
  };
}

/** The session id of a `session:{sid}` key, or `undefined` for any other key. */
export function sessionIdOfKey(key: string): string | undefined {
  return key.startsWith(SESSION_KEY_PREFIX) ? key.slice(SESSION_KEY_PREFIX.length) : undefined;
}
