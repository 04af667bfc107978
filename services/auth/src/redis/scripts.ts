import { TOUCH_SESSION_LUA } from '@gatehouse/contracts';
import type { Redis } from '@gatehouse/runtime';

/**
 * Every Redis write of the auth service is a Lua script, for two reasons:
 * the writes of one operation (session + index + event, counter + TTL) are
 * atomic, and each script first compares Redis' own clock with a deadline
 * the caller computed, so a command that sat in the socket of a stalled Redis
 * does nothing when Redis resumes (see docs/auth.md#failure-behaviour).
 */
const DEADLINE = `
local function expired(deadline)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(deadline)
end
`;

const HIT = `
local function hit(key, window)
  local n = redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, window) end
  return n
end
`;

/** KEYS: user attempts, ip attempts, account failures. ARGV: deadline, window, max user, max ip, max failures. */
const RATE_LIMIT = `${DEADLINE}${HIT}
if expired(ARGV[1]) then return false end
local user = hit(KEYS[1], ARGV[2])
local ip = hit(KEYS[2], ARGV[2])
local failures = tonumber(redis.call('GET', KEYS[3]) or '0')
if failures >= tonumber(ARGV[5]) then return {'too_many_failures_account', redis.call('TTL', KEYS[3])} end
if user > tonumber(ARGV[3]) then return {'too_many_attempts_account', redis.call('TTL', KEYS[1])} end
if ip > tonumber(ARGV[4]) then return {'too_many_attempts_ip', redis.call('TTL', KEYS[2])} end
return {'ok', 0}
`;

/** KEYS: account failures, stream. ARGV: deadline, window, field, event. */
const LOGIN_FAILED = `${DEADLINE}${HIT}
if expired(ARGV[1]) then return false end
hit(KEYS[1], ARGV[2])
return redis.call('XADD', KEYS[2], '*', ARGV[3], ARGV[4])
`;

/** KEYS: stream. ARGV: deadline, field, event. */
const PUBLISH = `${DEADLINE}
if expired(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[3])
`;

/**
 * KEYS: session, user sessions, stream. ARGV: deadline, ttl, sid, created at
 * (epoch s), field, event, hash field/value pairs... The index is a sorted set
 * of sids scored by each session's end: the ids of ended sessions are dropped here.
 */
const CREATE_SESSION = `${DEADLINE}
if expired(ARGV[1]) then return false end
local ttl = tonumber(ARGV[2])
local created = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', created)
redis.call('ZADD', KEYS[2], created + ttl, ARGV[3])
if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
return redis.call('XADD', KEYS[3], '*', ARGV[5], ARGV[6])
`;

/** KEYS: session, user sessions, stream. ARGV: deadline, sid, field, event. Returns sessions removed. */
const REVOKE_SESSION = `${DEADLINE}
if expired(ARGV[1]) then return false end
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', ARGV[3], ARGV[4])
return 1
`;

/** KEYS: user sessions, stream. ARGV: deadline, session key prefix, field, event. Returns sessions removed. */
const REVOKE_ALL = `${DEADLINE}
if expired(ARGV[1]) then return false end
local removed = 0
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  removed = removed + redis.call('DEL', ARGV[2] .. sid)
end
redis.call('DEL', KEYS[1])
redis.call('XADD', KEYS[2], '*', ARGV[3], ARGV[4])
return removed
`;

/** KEYS: session. ARGV: deadline, field, now, min interval. Never creates the key. */
const TOUCH_SESSION = `${DEADLINE}${TOUCH_SESSION_LUA}
if expired(ARGV[1]) then return false end
return touch(KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/** KEYS: challenge. ARGV: deadline, ttl, field/value pairs... */
const MFA_CHALLENGE = `${DEADLINE}
if expired(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

/**
 * KEYS: challenge. ARGV: deadline, max attempts, now (epoch s). Counts one
 * attempt; a challenge past its exp or over its attempts is deleted.
 * Returns {verdict, sub, name}: ok, expired, exhausted; {'gone'} when missing.
 */
const MFA_ATTEMPT = `${DEADLINE}
if expired(ARGV[1]) then return false end
local c = redis.call('HMGET', KEYS[1], 'sub', 'name', 'exp')
if not c[1] then return {'gone'} end
if tonumber(ARGV[3]) > tonumber(c[3]) then redis.call('DEL', KEYS[1]) return {'expired', c[1], c[2]} end
if redis.call('HINCRBY', KEYS[1], 'n', 1) > tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {'exhausted', c[1], c[2]}
end
return {'ok', c[1], c[2]}
`;

/** KEYS: challenge. ARGV: deadline. Returns 1 for the one caller that used the challenge. */
const MFA_CONSUME = `${DEADLINE}
if expired(ARGV[1]) then return false end
return redis.call('DEL', KEYS[1])
`;

/** KEYS: last step. ARGV: deadline, step, ttl. Returns 1 when the step is newer than any used (single use). */
const TOTP_STEP = `${DEADLINE}
if expired(ARGV[1]) then return false end
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[2]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
`;

/**
 * KEYS: session, stream. ARGV: deadline, field, event, hash field/value
 * pairs... Adds to a live session (never recreates one) and appends the event.
 */
const SESSION_UPDATE = `${DEADLINE}
if expired(ARGV[1]) then return false end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[3])
return 1
`;

/** KEYS: key. ARGV: deadline, ttl, value. */
const SET_EX = `${DEADLINE}
if expired(ARGV[1]) then return false end
return redis.call('SET', KEYS[1], ARGV[3], 'EX', tonumber(ARGV[2]))
`;

/** KEYS: key. ARGV: deadline. GETDEL: the value for the one caller that takes it, else an empty string. */
const TAKE = `${DEADLINE}
if expired(ARGV[1]) then return false end
return redis.call('GETDEL', KEYS[1]) or ''
`;

const SCRIPTS = {
  ghRateLimit: { numberOfKeys: 3, lua: RATE_LIMIT },
  ghLoginFailed: { numberOfKeys: 2, lua: LOGIN_FAILED },
  ghPublish: { numberOfKeys: 1, lua: PUBLISH },
  ghCreateSession: { numberOfKeys: 3, lua: CREATE_SESSION },
  ghRevokeSession: { numberOfKeys: 3, lua: REVOKE_SESSION },
  ghRevokeAll: { numberOfKeys: 2, lua: REVOKE_ALL },
  ghTouchSession: { numberOfKeys: 1, lua: TOUCH_SESSION },
  ghMfaChallenge: { numberOfKeys: 1, lua: MFA_CHALLENGE },
  ghMfaAttempt: { numberOfKeys: 1, lua: MFA_ATTEMPT },
  ghMfaConsume: { numberOfKeys: 1, lua: MFA_CONSUME },
  ghTotpStep: { numberOfKeys: 1, lua: TOTP_STEP },
  ghSessionUpdate: { numberOfKeys: 2, lua: SESSION_UPDATE },
  ghSetEx: { numberOfKeys: 1, lua: SET_EX },
  ghTake: { numberOfKeys: 1, lua: TAKE },
} as const;

/** The name of one auth script. */
export type ScriptName = keyof typeof SCRIPTS;

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

const defined = new WeakSet<Redis>();

/**
 * Registers the auth scripts on a client (EVALSHA with an automatic EVAL
 * fallback after a Redis restart) and returns a caller for them.
 */
export function defineScripts(
  redis: Redis,
): (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [name, script] of Object.entries(SCRIPTS)) redis.defineCommand(name, script);
    defined.add(redis);
  }
  const commands = redis as unknown as Record<ScriptName, ScriptFn>;
  return (name, keys, args) => commands[name].call(redis, ...keys, ...args);
}
