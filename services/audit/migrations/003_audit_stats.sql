-- GET /audit/stats: login outcomes per time bucket. A partial index on the three
-- login types, ordered by time and carrying the type, so a range is one index
-- range scan (index-only once the visibility map is set) and nothing else is read.
CREATE INDEX audit_events_login_stats_idx ON audit_events (occurred_at, type)
  WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited');
