import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no I, L, O or U, so a code read off paper is not mistyped. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Ten codes of 16 characters (80 random bits each), shown as `XXXX-XXXX-XXXX-XXXX`. They are
 * stored as SHA-256, not argon2id: a slow hash protects guessable secrets such as passwords, and
 * 80 random bits cannot be guessed whatever the hash's speed; a plain hash can be looked up by
 * value, so one UPDATE marks a code used exactly once across replicas, instead of ten argon2 checks
 * (64 MiB each) per attempt that a guesser could make the server do.
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    let bits = 0n;
    for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
    let code = '';
    for (let i = 0; i < 16; i++) code = ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)] + code;
    return code.match(/.{4}/g)!.join('-');
  });
}

/** The form a code is hashed in: case, spaces and dashes do not matter; O, I and L read as 0, 1, 1. */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normaliseRecoveryCode(code)).digest('hex');
}

/** A plausible recovery code: 16 base32 characters once normalised. */
export const looksLikeRecoveryCode = (code: string) => /^[0-9A-HJKMNP-TV-Z]{16}$/.test(normaliseRecoveryCode(code));
