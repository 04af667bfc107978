/** The Redis Stream every auth event is published to. */
export const AUTH_EVENTS_STREAM = 'auth-events';

/** Entries the audit consumer could not parse or store after retries. */
export const AUTH_EVENTS_DEAD_STREAM = 'auth-events:dead';

/** The consumer group that stores `auth-events` in the audit trail. */
export const AUDIT_GROUP = 'audit';

/** The stream entry field that holds the JSON event envelope. */
export const EVENT_FIELD = 'event';
