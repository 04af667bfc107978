-- GET /audit/stats reads login outcomes per minute from this rollup instead of
-- counting events: a week is at most 10,080 rows, where counting read and
-- sorted ~172,000 index entries at 10 M events (docs/performance.md#audit-trail-at-10m-rows).
-- A row exists only for a minute with at least one login event.
CREATE TABLE audit_login_minutes (
  minute       timestamptz PRIMARY KEY, -- a multiple of 60 s since the Unix epoch
  succeeded    integer NOT NULL,
  failed       integer NOT NULL,
  rate_limited integer NOT NULL
);

-- Counts the minutes of [lo, hi) (multiples of 60 s, or ±infinity) again from
-- audit_events: the backfill below, applyRetention after it dropped months
-- and deleted events, and bench:trail after it attached generated months.
-- The lock waits for inserters that already counted into the rollup to commit
-- (so their events are seen) and holds new ones off until this transaction
-- ends; readers are not blocked.
CREATE FUNCTION audit_login_minutes_recount(lo timestamptz, hi timestamptz) RETURNS void
LANGUAGE sql AS $$
  LOCK TABLE audit_login_minutes IN EXCLUSIVE MODE;
  DELETE FROM audit_login_minutes WHERE minute >= lo AND minute < hi;
  INSERT INTO audit_login_minutes (minute, succeeded, failed, rate_limited)
  SELECT date_bin('1 minute', occurred_at, timestamptz 'epoch'),
         count(*) FILTER (WHERE type = 'auth.login.succeeded'),
         count(*) FILTER (WHERE type = 'auth.login.failed'),
         count(*) FILTER (WHERE type = 'auth.login.rate_limited')
    FROM audit_events
   WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited')
     AND occurred_at >= lo AND occurred_at < hi
   GROUP BY 1
   ORDER BY 1; -- the heap in time order, as the trigger writes it: a range reads few pages
$$;

-- Every insert into audit_events adds its logins in the same transaction (the
-- consumer's code does not know): a statement-level trigger sees only the rows
-- actually inserted, so a duplicate dropped by ON CONFLICT DO NOTHING is not
-- counted. Minutes are upserted in order, so concurrent inserters (who also
-- queue on audit_chain_head first) lock them in the same order.
CREATE FUNCTION audit_login_minutes_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_login_minutes AS m (minute, succeeded, failed, rate_limited)
  SELECT date_bin('1 minute', occurred_at, timestamptz 'epoch'),
         count(*) FILTER (WHERE type = 'auth.login.succeeded'),
         count(*) FILTER (WHERE type = 'auth.login.failed'),
         count(*) FILTER (WHERE type = 'auth.login.rate_limited')
    FROM inserted
   WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited')
   GROUP BY 1
   ORDER BY 1
  ON CONFLICT (minute) DO UPDATE SET succeeded = m.succeeded + excluded.succeeded,
    failed = m.failed + excluded.failed, rate_limited = m.rate_limited + excluded.rate_limited;
  RETURN NULL;
END
$$;

CREATE FUNCTION audit_login_minutes_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE audit_login_minutes;
  RETURN NULL;
END
$$;

-- CREATE TRIGGER locks audit_events against inserts until this migration
-- commits, so the backfill misses nothing and counts nothing twice.
CREATE TRIGGER audit_login_minutes_insert AFTER INSERT ON audit_events
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION audit_login_minutes_add();
CREATE TRIGGER audit_login_minutes_truncate AFTER TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_login_minutes_clear();

SELECT audit_login_minutes_recount('-infinity', 'infinity');
ANALYZE audit_login_minutes;
