import { type Static, Type } from '@sinclair/typebox';

/**
 * The fields of a session, as auth writes them and the gateway reads them.
 * Values are short so the hash stays in Redis' compact listpack encoding (see
 * docs/performance.md): times are epoch seconds, roles are comma-separated and
 * the user agent is a truncated digest. In Redis each field is stored under
 * its short name in {@link SESSION_FIELD_NAMES}.
 */
const SessionHashSchema = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  roles: Type.String({ description: 'comma-separated roles' }),
  createdAt: Type.String({ description: 'epoch seconds' }),
  expiresAt: Type.String({ description: 'epoch seconds' }),
  ip: Type.String(),
  ua: Type.String({ description: 'first 16 hex digits of SHA-256 of the user agent' }),
});
/** A session's fields (stored under {@link SESSION_FIELD_NAMES}). */
export type SessionHash = Static<typeof SessionHashSchema>;

/**
 * The name of each field inside `session:{sid}`: short, because every byte of
 * a name is stored again in every session (19 bytes of listpack a session
 * against the long names, docs/performance.md), and named as the access token's claims
 * where one matches, so `HGETALL session:{sid}` still reads plainly.
 */
export const SESSION_FIELD_NAMES = {
  userId: 'sub',
  username: 'name',
  roles: 'roles',
  createdAt: 'iat',
  expiresAt: 'exp',
  ip: 'ip',
  ua: 'ua',
} as const satisfies Record<keyof SessionHash, string>;

/** Hash field refreshed when the optional idle timeout is on (epoch seconds). */
export const SESSION_LAST_SEEN_FIELD = 'seen';

/**
 * Hash field: how the user authenticated in this session, RFC 8176 `amr`
 * values comma-joined (`pwd`, `pwd,otp`). A session written before the field
 * existed is a password session.
 */
export const SESSION_AMR_FIELD = 'amr';

/** Hash field: when the user last proved a factor in this session (the token's `auth_time`, epoch seconds). */
export const SESSION_AUTH_TIME_FIELD = 'at';

/** The `amr` values that prove a second factor: a one-time code, a hardware-bound or a synced passkey. */
const SECOND_FACTOR_AMR = ['otp', 'hwk', 'swk'] as const;

/** The stored `amr` field as a list (`pwd` when the field is missing). */
export function parseAmr(stored: string | null | undefined): string[] {
  return stored ? stored.split(',') : ['pwd'];
}

/** True when `amr` names a second factor (see {@link SECOND_FACTOR_AMR}). */
export function hasSecondFactor(amr: readonly string[]): boolean {
  return amr.some((m) => (SECOND_FACTOR_AMR as readonly string[]).includes(m));
}

/** How often the last-use stamp is rewritten: at most once a minute, and often enough for short timeouts. */
export function touchIntervalSeconds(idleTimeoutSeconds: number): number {
  return Math.max(1, Math.min(60, Math.floor(idleTimeoutSeconds / 2)));
}

/** True when the idle timeout is on and the session was last used more than that long ago. */
export function isIdle(lastSeenAt: number, idleTimeoutSeconds: number, nowSeconds: number): boolean {
  return idleTimeoutSeconds > 0 && nowSeconds - lastSeenAt > idleTimeoutSeconds;
}

/**
 * Lua function `touch(key, field, now, interval)` for the scripts of auth and
 * the gateway: rewrites the last-use stamp when it is at least `interval`
 * seconds old, and never creates a session that has been deleted meanwhile.
 */
export const TOUCH_SESSION_LUA = `
local function touch(key, field, now, interval)
  local last = redis.call('HGET', key, field)
  if not last then return 0 end
  if now - tonumber(last) < interval then return 0 end
  redis.call('HSET', key, field, now)
  return 1
end
`;

const FIELDS = Object.entries(SESSION_FIELD_NAMES) as [keyof SessionHash, string][];

/** The field/value pairs of `HSET session:{sid}` for a session, flattened. */
export function sessionHashFields(session: SessionHash): string[] {
  return FIELDS.flatMap(([key, stored]) => [stored, session[key]]);
}

/** A session from its `HGETALL` reply; `null` when the key is missing or a field is. */
export function parseSessionHash(stored: Record<string, string>): SessionHash | null {
  const session: Record<string, string> = {};
  for (const [key, name] of FIELDS) {
    const value = stored[name];
    if (value === undefined) return null;
    session[key] = value;
  }
  return session as SessionHash;
}

/** Splits the stored `roles` field into a list. */
export function parseRoles(roles: string): string[] {
  return roles === '' ? [] : roles.split(',');
}
