import {
  AUTH_EVENTS_STREAM,
  type AuthEventType,
  EVENT_FIELD,
  loginFailuresKey,
  type MfaFactor,
} from '@gatehouse/contracts';
import type { RedisContext } from '../../redis/context.js';
import { type ClientInfo, clientFields, eventJson, publishEvent } from '../client.js';

/** Who acted on another user's factors (an operator's reset): the extra envelope field `actor`. */
export interface MfaActor {
  userId: string | null;
  username: string;
}

/** What an `auth.mfa.*` event says beyond its type. */
export interface MfaEventInput {
  user: { id: string; username: string };
  factor: MfaFactor | null;
  reason?: string;
  sessionId?: string | null;
  client?: ClientInfo;
  actor?: MfaActor;
  source?: string;
}

/** The envelope of an `auth.mfa.*` event, with the factor type in the extra field `factor`. */
export function mfaEventJson(type: AuthEventType, input: MfaEventInput): string {
  return eventJson(
    {
      type,
      subject: input.user.id,
      username: input.user.username,
      sessionId: input.sessionId ?? null,
      reason: input.reason ?? null,
      ...clientFields(input.client),
      ...(input.source ? { source: input.source } : {}),
    },
    { factor: input.factor, ...(input.actor ? { actor: input.actor } : {}) },
  );
}

/** Appends one `auth.mfa.*` event. */
export async function publishMfaEvent(redis: RedisContext, type: AuthEventType, input: MfaEventInput): Promise<void> {
  await publishEvent(redis, mfaEventJson(type, input));
}

/**
 * A refused second factor: counts a failure for the account's long window
 * (the same counter wrong passwords feed) and appends `auth.mfa.failed`, in
 * one script.
 */
export async function recordMfaFailure(
  redis: RedisContext,
  failureWindowSeconds: number,
  input: MfaEventInput,
): Promise<void> {
  await redis.run(
    'ghLoginFailed',
    [loginFailuresKey(input.user.username), AUTH_EVENTS_STREAM],
    [failureWindowSeconds, EVENT_FIELD, mfaEventJson('auth.mfa.failed', input)],
  );
}
