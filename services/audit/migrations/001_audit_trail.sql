-- The audit trail: one row per auth event, in a gap-free hash chain.
CREATE TABLE audit_events (
  seq          bigint PRIMARY KEY,
  event_id     uuid NOT NULL,
  type         text NOT NULL,
  version      integer NOT NULL,
  occurred_at  timestamptz NOT NULL,
  source       text NOT NULL,
  user_id      text,
  username     text,
  session_id   text,
  ip           text,
  user_agent   text,
  reason       text,
  traceparent  text,
  extra        jsonb,
  stream_id    text NOT NULL,
  stored_at    timestamptz NOT NULL,
  prev_hash    bytea NOT NULL,
  hash         bytea NOT NULL,
  CONSTRAINT audit_events_event_id_key UNIQUE (event_id)
);

-- Newest-first listing with a keyset cursor on (occurred_at, seq), alone or after one equality filter.
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at DESC, seq DESC);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, occurred_at DESC, seq DESC) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_username_idx ON audit_events (username, occurred_at DESC, seq DESC) WHERE username IS NOT NULL;
CREATE INDEX audit_events_ip_idx ON audit_events (ip, occurred_at DESC, seq DESC) WHERE ip IS NOT NULL;
CREATE INDEX audit_events_session_idx ON audit_events (session_id, occurred_at DESC, seq DESC) WHERE session_id IS NOT NULL;
CREATE INDEX audit_events_type_idx ON audit_events (type, occurred_at DESC, seq DESC);

-- The single chain head: locked FOR UPDATE by every storing transaction, so
-- seq and hash are assigned in commit order with no holes.
CREATE TABLE audit_chain_head (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq   bigint NOT NULL,
  hash  bytea NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));

-- Signed digests over consecutive seq ranges, each linked to the previous one.
CREATE TABLE audit_digests (
  id                bigserial PRIMARY KEY,
  from_seq          bigint NOT NULL,
  to_seq            bigint NOT NULL,
  head_hash         bytea NOT NULL,
  prev_digest_hash  bytea NOT NULL,
  digest_hash       bytea NOT NULL,
  signature         bytea NOT NULL,
  key_id            text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT audit_digests_range CHECK (to_seq >= from_seq),
  CONSTRAINT audit_digests_to_seq_key UNIQUE (to_seq)
);

-- Entries that could not be parsed or stored; each stream entry once.
CREATE TABLE audit_dead_letters (
  id          bigserial PRIMARY KEY,
  stream_id   text NOT NULL UNIQUE,
  payload     text,
  reason      text NOT NULL,
  deliveries  integer NOT NULL,
  consumer    text NOT NULL,
  dead_at     timestamptz NOT NULL DEFAULT now()
);

-- Every call to the query API: who read the trail, with which filters, when.
CREATE TABLE audit_reads (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     text,
  username    text,
  session_id  text,
  request_id  text NOT NULL,
  method      text NOT NULL,
  route       text NOT NULL,
  params      jsonb NOT NULL
);
CREATE INDEX audit_reads_user_idx ON audit_reads (user_id, id DESC);
