-- Alerts raised by the detection rules; one per rule, subject and window.
CREATE TABLE audit_alerts (
  id            bigserial PRIMARY KEY,
  rule          text NOT NULL,
  subject       text NOT NULL,
  subject_kind  text NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  first_at      timestamptz NOT NULL,
  last_at       timestamptz NOT NULL,
  event_ids     uuid[] NOT NULL,
  details       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Outbox: set once the webhook deliveries are queued, so a crash in between re-queues them.
  enqueued_at   timestamptz,
  CONSTRAINT audit_alerts_once UNIQUE (rule, subject, window_start)
);
CREATE INDEX audit_alerts_pending_idx ON audit_alerts (id) WHERE enqueued_at IS NULL;

-- How far the detection rules have read the chain (by seq).
CREATE TABLE audit_detection_state (
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_seq  bigint NOT NULL
);
INSERT INTO audit_detection_state (id, last_seq) VALUES (true, 0);

-- Bulk exports: the request and, once done, the file.
CREATE TABLE audit_exports (
  id            uuid PRIMARY KEY,
  format        text NOT NULL CHECK (format IN ('ndjson', 'csv')),
  filters       jsonb NOT NULL,
  through_seq   bigint NOT NULL,
  state         text NOT NULL,
  requested_by  text,
  request_id    text NOT NULL,
  row_count     bigint,
  bytes         bigint,
  file          text,
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz
);

-- Where retention cut the chain: every event up to through_seq was removed.
-- The cut sits on a signed digest's last seq (its head hash is where verify resumes)
-- and is itself signed with the digest key (verify checks the digest; no FK, so TRUNCATE stays simple).
CREATE TABLE audit_retention_cuts (
  id           bigserial PRIMARY KEY,
  through_seq  bigint NOT NULL UNIQUE,
  head_hash    bytea NOT NULL,
  digest_id    bigint NOT NULL,
  cutoff       timestamptz NOT NULL,
  removed      bigint NOT NULL,
  signature    bytea NOT NULL,
  key_id       text NOT NULL,
  cut_at       timestamptz NOT NULL DEFAULT now()
);
