-- audit_events partitioned by month of occurred_at (UTC), so retention drops
-- whole months instead of deleting rows. Every row is copied as it is: the
-- hash chain, seq numbers and digests stay valid (docs/audit.md#partitions).
--
-- A unique constraint of a partitioned table must contain the partition key,
-- so the event id is unique together with occurred_at. A redelivered entry
-- carries the same envelope, hence the same occurred_at and partition: the
-- constraint still makes the consumer's insert idempotent. Events whose id is
-- not a UUIDv7 of their own occurredAt go through the consumer's global check
-- instead (services/audit/src/repositories/events.repository.ts).
ALTER TABLE audit_events RENAME TO audit_events_v1;
ALTER TABLE audit_events_v1 DROP CONSTRAINT audit_events_pkey, DROP CONSTRAINT audit_events_event_id_key;
DROP INDEX audit_events_time_idx, audit_events_user_idx, audit_events_username_idx, audit_events_ip_idx,
  audit_events_session_idx, audit_events_type_idx, audit_events_login_stats_idx;

-- The same columns (names, types, NOT NULL) in the same order.
CREATE TABLE audit_events (LIKE audit_events_v1) PARTITION BY RANGE (occurred_at);

-- Rows with no month partition (far past or future, or while the maintenance
-- job was down) land here; adding their month's partition moves them out.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;

-- Adds the partition of the UTC month containing `within` (audit_events_YYYY_MM)
-- unless it exists, moving that month's rows out of the default partition
-- first. Returns whether it created one. Serialized by an advisory lock.
CREATE FUNCTION audit_events_add_partition(within timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  lo   timestamp := date_trunc('month', within AT TIME ZONE 'UTC');
  hi   timestamp := lo + interval '1 month';
  name text := 'audit_events_' || to_char(lo, 'YYYY_MM');
  lo_z timestamptz := lo AT TIME ZONE 'UTC';
  hi_z timestamptz := hi AT TIME ZONE 'UTC';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('gatehouse_audit_partitions'));
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE audit_events)', name);
  EXECUTE format(
    'WITH moved AS (DELETE FROM audit_events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *)
     INSERT INTO %I SELECT * FROM moved', lo_z, hi_z, name);
  EXECUTE format('ALTER TABLE audit_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo_z, hi_z);
  RETURN true;
END
$$;

-- A partition for every month the old table has rows in, and for this month and the next two.
SELECT audit_events_add_partition(m)
  FROM (SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM audit_events_v1
        UNION SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n)) AT TIME ZONE 'UTC'
          FROM generate_series(0, 2) AS n) AS months
 ORDER BY m;

INSERT INTO audit_events SELECT * FROM audit_events_v1;
DROP TABLE audit_events_v1;

-- Indexes are built once the rows are in (faster than maintaining them row by row).
ALTER TABLE audit_events
  ADD CONSTRAINT audit_events_pkey PRIMARY KEY (seq, occurred_at),
  ADD CONSTRAINT audit_events_event_id_key UNIQUE (event_id, occurred_at);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at DESC, seq DESC);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, occurred_at DESC, seq DESC) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_username_idx ON audit_events (username, occurred_at DESC, seq DESC) WHERE username IS NOT NULL;
CREATE INDEX audit_events_ip_idx ON audit_events (ip, occurred_at DESC, seq DESC) WHERE ip IS NOT NULL;
CREATE INDEX audit_events_session_idx ON audit_events (session_id, occurred_at DESC, seq DESC) WHERE session_id IS NOT NULL;
CREATE INDEX audit_events_type_idx ON audit_events (type, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_login_stats_idx ON audit_events (occurred_at, type)
  WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited');
