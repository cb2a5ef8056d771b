import { createHash, randomBytes } from 'node:crypto';
import { formatLifetime, parseLifetime } from '../config/settings.js';

/**
 * Share links carry `shr_<43 base64url characters>`: 32 random bytes, so a plain SHA-256 is safe to
 * store (nothing to guess), and the prefix lets secret scanners tell a leaked link token apart.
 */
export const SHARE_TOKEN_SHAPE = /^shr_[A-Za-z0-9_-]{43}$/;
const MIN_LIFETIME_MS = 60_000;

export function newShareToken(): { token: string; hash: string } {
  const token = `shr_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashShareToken(token) };
}

export const hashShareToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The UI route that joins a share: the SPA's hash route, so the token never reaches a server log. */
export const shareUrl = (publicUrl: string, token: string) => `${publicUrl.replace(/\/+$/, '')}/#/share/${token}`;

/**
 * `expires_in` as a request gives it: seconds or a duration (`30m`, `8h`, `2d`). Required: a share
 * always expires, at most SHARE_MAX_LIFETIME after it is made.
 */
export function shareLifetime(
  expiresIn: string | number,
  maxMs: number,
): { ok: true; ms: number } | { ok: false; message: string } {
  const ms = typeof expiresIn === 'number' ? expiresIn * 1000 : parseLifetime(expiresIn);
  const limit = `at most ${formatLifetime(maxMs)} (SHARE_MAX_LIFETIME)`;
  if (ms === undefined)
    return {
      ok: false,
      message: `expires_in: expected seconds or a duration like 30m, 8h or 2d, got ${JSON.stringify(expiresIn)}; shares always expire, ${limit}`,
    };
  if (ms < MIN_LIFETIME_MS) return { ok: false, message: 'expires_in: must be at least 1m (60 seconds)' };
  if (ms > maxMs)
    return { ok: false, message: `expires_in: ${formatLifetime(ms)} is too long; a share lives ${limit}` };
  return { ok: true, ms };
}
