import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_S = 30;
/** One step either side of now: a phone's clock a little off, or a code typed as it rolled over. */
export const TOTP_TOLERANCE_S = TOTP_PERIOD_S;
export const TOTP_ISSUER = 'StreamSpace';

/** A new base32 secret of 20 random bytes (160 bits, RFC 4226's recommended length). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: username, secret, period: TOTP_PERIOD_S });
}

/** The RFC 6238 time step a moment falls in. */
export const timeStepAt = (nowMs: number) => Math.floor(nowMs / 1000 / TOTP_PERIOD_S);

/** What a six-digit code looks like; anything else is not a TOTP code (maybe a recovery code). */
export const isTotpCode = (code: string) => /^\d{6}$/.test(code);

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'wrong' | 'reused' };

/**
 * Checks a code against the secret at `nowMs`, within one step either side, accepting only steps
 * after `lastStep` (the last accepted one): a code seen once is refused afterwards, and so is any
 * older code still inside the window. The caller records the returned step with a compare-and-set
 * (db/queries/mfa.ts advanceTotpStep) so two replicas cannot both accept the same code.
 */
export async function checkTotp(
  secret: string,
  code: string,
  nowMs: number,
  lastStep: number | null,
): Promise<TotpCheck> {
  if (!isTotpCode(code)) return { ok: false, reason: 'wrong' };
  const epoch = Math.floor(nowMs / 1000);
  const newest = timeStepAt(nowMs + TOTP_TOLERANCE_S * 1000);
  // otplib throws when afterTimeStep lies beyond the window; nothing in the window is newer then.
  if (lastStep !== null && lastStep >= newest) {
    return (await matches(secret, code, epoch)) ? { ok: false, reason: 'reused' } : { ok: false, reason: 'wrong' };
  }
  const result = await verify({
    secret,
    token: code,
    epoch,
    period: TOTP_PERIOD_S,
    epochTolerance: TOTP_TOLERANCE_S,
    ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
  });
  // The functional API's result type also covers HOTP, which has no time step.
  if (result.valid && 'timeStep' in result) return { ok: true, step: result.timeStep };
  // A reused code is told apart so the user waits for the next one instead of doubting the app.
  if (lastStep !== null && (await matches(secret, code, epoch))) return { ok: false, reason: 'reused' };
  return { ok: false, reason: 'wrong' };
}

async function matches(secret: string, code: string, epoch: number): Promise<boolean> {
  const result = await verify({ secret, token: code, epoch, period: TOTP_PERIOD_S, epochTolerance: TOTP_TOLERANCE_S });
  return result.valid;
}
