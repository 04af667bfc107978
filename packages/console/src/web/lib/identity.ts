/** The role that may use the console. */
export const AUDITOR_ROLE = 'auditor';

/** Who is signed in, as read from `GET /auth/session`. */
export interface Identity {
  userId: string | null;
  username: string | null;
  roles: string[];
}

function pick(source: Record<string, unknown>, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = source[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

function rolesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

/**
 * Reads the identity from a `GET /auth/session` body. Accepts the session fields at the
 * top level or under `session`, roles as an array or a space/comma separated string.
 */
export function readIdentity(body: unknown): Identity {
  const top = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const nested = top.session;
  const source = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : top;
  return {
    userId: pick(source, 'userId', 'sub', 'subject'),
    username: pick(source, 'username'),
    roles: rolesOf(source.roles),
  };
}

/** Whether the identity may use the console. */
export function isAuditor(identity: Identity): boolean {
  return identity.roles.includes(AUDITOR_ROLE);
}
