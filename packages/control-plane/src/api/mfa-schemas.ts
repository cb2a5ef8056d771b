import { Type, type Static } from 'typebox';
import { LoginResponse } from './schemas.js';

// Request and response schemas of two-factor authentication (routes/mfa.ts, routes/mfa-login.ts).

const Timestamp = Type.String({ format: 'date-time' });
/** A six-digit TOTP code, or a recovery code (XXXX-XXXX-XXXX-XXXX) where the routes say so. */
const Code = Type.String({ minLength: 1, maxLength: 64 });

/** POST /auth/login: a session token, or the second step when two-factor is on. */
export const LoginStepResponse = Type.Union([
  Type.Object({
    ...LoginResponse.properties,
    mfa_enrollment_required: Type.Optional(
      Type.Literal(true, {
        description:
          'MFA_REQUIRED covers this user, who has no two-factor yet: the token reaches only /auth/me, /users/me and the enrollment routes until it is set up',
      }),
    ),
  }),
  Type.Object({
    mfa_required: Type.Literal(true),
    mfa_token: Type.String({
      description: 'for POST /api/v1/auth/mfa only: single use, short-lived, not a bearer token',
    }),
    expires_at: Timestamp,
  }),
]);

export const MfaLoginRequest = Type.Object(
  { mfa_token: Type.String({ minLength: 1, maxLength: 128 }), code: Code },
  { additionalProperties: false },
);
export type MfaLoginRequest = Static<typeof MfaLoginRequest>;

export const MfaStatusBody = Type.Object({
  totp_enabled: Type.Boolean(),
  enabled_at: Type.Union([Timestamp, Type.Null()]),
  pending: Type.Boolean({ description: 'enrollment started, waiting for the confirming code' }),
  recovery_codes_left: Type.Integer(),
  required: Type.Boolean({ description: 'MFA_REQUIRED covers this user' }),
});

export const TotpEnrollmentBody = Type.Object({
  secret: Type.String({ description: 'base32, for typing into an authenticator app' }),
  otpauth_uri: Type.String({ description: 'otpauth://totp/… for the QR code' }),
});

export const ConfirmTotpRequest = Type.Object({ code: Code }, { additionalProperties: false });
export type ConfirmTotpRequest = Static<typeof ConfirmTotpRequest>;

export const RecoveryCodesBody = Type.Object({
  recovery_codes: Type.Array(Type.String(), { description: 'shown once; each works once instead of a code' }),
});

export const DisableTotpRequest = Type.Object(
  {
    code: Type.Optional(Code),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type DisableTotpRequest = Static<typeof DisableTotpRequest>;
