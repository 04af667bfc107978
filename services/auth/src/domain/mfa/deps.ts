import type { Pool } from '@gatehouse/runtime';
import type { RedisContext } from '../../redis/context.js';
import type { SecretBox } from './secret-box.js';

/** What the second-factor functions need. */
export interface MfaDeps {
  pool: Pool;
  redis: RedisContext;
  /** Seals TOTP secrets at rest (`MFA_KEY_FILE`). */
  box: SecretBox;
  /** The issuer an authenticator app shows beside the account (`MFA_ISSUER`). */
  issuer: string;
  /** A step 2 challenge: how long it is valid and how many codes it may be tried with. */
  challenge: { ttlSeconds: number; maxAttempts: number };
  /** The relying party passkeys are bound to (`WEBAUTHN_*`). */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  /** How recent a second factor must be to remove a factor or regenerate codes (`MFA_FRESH_SECONDS`). */
  freshSeconds: number;
}
