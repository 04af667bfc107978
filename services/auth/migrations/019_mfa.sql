-- Second factors. A TOTP secret is sealed with AES-256-GCM (MFA_KEY_FILE,
-- the user id as associated data); it counts once confirmed_at is set.
CREATE TABLE IF NOT EXISTS mfa_totp (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_sealed text NOT NULL,
  confirmed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes: SHA-256 of each (the codes carry 80 random bits), usable once.
CREATE TABLE IF NOT EXISTS mfa_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Passkeys (WebAuthn credentials); the public key is COSE, the counter the
-- authenticator's signature counter (0 when it keeps none).
CREATE TABLE IF NOT EXISTS mfa_passkeys (
  id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  transports text[] NOT NULL DEFAULT '{}',
  device_type text NOT NULL,
  backed_up boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

CREATE INDEX IF NOT EXISTS mfa_passkeys_user_id ON mfa_passkeys (user_id);
