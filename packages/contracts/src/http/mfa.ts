import { type Static, Type } from '@sinclair/typebox';

/** How a second factor is proved: a TOTP code, a recovery code, or a passkey assertion. */
const MfaMethodSchema = Type.Union([Type.Literal('totp'), Type.Literal('recovery'), Type.Literal('passkey')]);
/** One of the second-factor methods. */
export type MfaMethod = Static<typeof MfaMethodSchema>;

/**
 * A proof of a second factor: `code` for `totp` (6 digits) and `recovery`,
 * `credential` (the browser's `PublicKeyCredential` as JSON) for `passkey`.
 */
export const MfaProofSchema = Type.Object(
  {
    method: MfaMethodSchema,
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    credential: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);
/** A second-factor proof. */
export type MfaProof = Static<typeof MfaProofSchema>;

/** `POST /auth/login/mfa` body: the challenge of step 1 and a proof. */
export const MfaLoginBodySchema = Type.Object(
  {
    challenge: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    ...MfaProofSchema.properties,
  },
  { additionalProperties: false },
);
/** A second login step. */
export type MfaLoginBody = Static<typeof MfaLoginBodySchema>;

/** `POST /auth/login` reply when the user has a second factor: no session yet, a challenge for step 2. */
export const MfaRequiredResponseSchema = Type.Object({
  status: Type.Literal('mfa_required'),
  challenge: Type.String({ description: 'single use; send it to POST /auth/login/mfa' }),
  methods: Type.Array(MfaMethodSchema),
  expiresIn: Type.Integer({ description: 'seconds the challenge stays valid' }),
});
/** A login that needs its second step. */
export type MfaRequiredResponse = Static<typeof MfaRequiredResponseSchema>;

/** `POST /auth/mfa/totp` reply: the new secret, its `otpauth://` URI and a QR code of it (SVG data URL). */
export const TotpEnrolmentSchema = Type.Object({
  secret: Type.String({ description: 'base32' }),
  uri: Type.String(),
  qr: Type.String({ description: 'data:image/svg+xml;base64,...' }),
});
/** A TOTP enrolment in progress. */
export type TotpEnrolment = Static<typeof TotpEnrolmentSchema>;

/** `POST /auth/mfa/totp/confirm` body. */
export const TotpConfirmBodySchema = Type.Object(
  { code: Type.String({ minLength: 6, maxLength: 6, pattern: '^[0-9]{6}$' }) },
  { additionalProperties: false },
);

/** Recovery codes, shown once (on the first enrolment and on regeneration); empty when none were made. */
export const RecoveryCodesResponseSchema = Type.Object({ recoveryCodes: Type.Array(Type.String()) });
/** A reply carrying recovery codes. */
export type RecoveryCodesResponse = Static<typeof RecoveryCodesResponseSchema>;

/** One registered passkey. */
const PasskeyViewSchema = Type.Object({
  id: Type.String({ description: 'credential id, base64url' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** `GET /auth/mfa` reply (and the admin view of a user's factors). */
export const MfaStatusSchema = Type.Object({
  totp: Type.Boolean({ description: 'a confirmed TOTP secret exists' }),
  passkeys: Type.Array(PasskeyViewSchema),
  recoveryCodesRemaining: Type.Integer({ minimum: 0 }),
});
/** A user's second factors. */
export type MfaStatus = Static<typeof MfaStatusSchema>;
