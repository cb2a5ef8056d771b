import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import {
  advanceTotpStep,
  countUnusedRecoveryCodes,
  deleteTotp,
  enableTotp,
  findLiveMfaChallenge,
  findTotp,
  insertMfaChallenge,
  redeemMfaChallenge,
  savePendingTotp,
  useRecoveryCode,
} from '../db/queries/mfa.js';
import { checkTotp, isTotpCode, newTotpSecret, totpUri } from './totp.js';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import type { TotpSecretBox } from './totp-secret-box.js';
import type { MfaRequired } from './mfa-policy.js';

/** How long the second step of a login may take. */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;

export type SecondFactor =
  | { ok: true; method: 'totp' | 'recovery_code' }
  | { ok: false; reason: 'wrong_code' | 'reused_code' | 'wrong_recovery_code' | 'not_enrolled' | 'unreadable_secret' };

export type Enrollment =
  | { ok: true; recoveryCodes: string[] }
  | { ok: false; reason: 'not_started' | 'already_enabled' | 'wrong_code' | 'unreadable_secret' };

export interface MfaStatus {
  totp_enabled: boolean;
  enabled_at: string | null;
  /** Started but not confirmed yet. */
  pending: boolean;
  recovery_codes_left: number;
}

export interface MfaServiceOptions {
  db: Kysely<Schema>;
  box: TotpSecretBox;
  /** MFA_REQUIRED. */
  required: MfaRequired;
  /** The clock TOTP codes are checked against (tests step it by whole periods). */
  now?: () => number;
}

/**
 * TOTP two-factor: enrollment (pending until a code confirms it), checking a code or a recovery
 * code as a second factor, and the login's second step (`mfa_token`). Every "once only" is decided
 * by the database (compare-and-set updates), so replicas cannot disagree.
 */
export class MfaService {
  readonly required: MfaRequired;
  readonly #db: Kysely<Schema>;
  readonly #box: TotpSecretBox;
  readonly #now: () => number;

  constructor(options: MfaServiceOptions) {
    this.#db = options.db;
    this.#box = options.box;
    this.required = options.required;
    this.#now = options.now ?? Date.now;
  }

  async status(userId: string): Promise<MfaStatus> {
    const row = await findTotp(this.#db, userId);
    const enabled = Boolean(row?.enabled_at);
    return {
      totp_enabled: enabled,
      enabled_at: row?.enabled_at ? row.enabled_at.toISOString() : null,
      pending: row !== undefined && !enabled,
      recovery_codes_left: enabled ? await countUnusedRecoveryCodes(this.#db, userId) : 0,
    };
  }

  async isEnabled(userId: string): Promise<boolean> {
    return Boolean((await findTotp(this.#db, userId))?.enabled_at);
  }

  /** A new secret, kept pending; undefined when two-factor is already on. */
  async begin(user: { id: string; username: string }): Promise<{ secret: string; otpauth_uri: string } | undefined> {
    const secret = newTotpSecret();
    const saved = await savePendingTotp(this.#db, user.id, this.#box.seal(secret, user.id));
    return saved ? { secret, otpauth_uri: totpUri(secret, user.username) } : undefined;
  }

  /** A code from the pending secret turns two-factor on and yields the recovery codes, once. */
  async confirm(userId: string, code: string): Promise<Enrollment> {
    const row = await findTotp(this.#db, userId);
    if (!row) return { ok: false, reason: 'not_started' };
    if (row.enabled_at) return { ok: false, reason: 'already_enabled' };
    const secret = this.#box.open(row.secret_encrypted, userId);
    if (secret === undefined) return { ok: false, reason: 'unreadable_secret' };
    const check = await checkTotp(secret, code.trim(), this.#now(), row.last_used_step);
    if (!check.ok) return { ok: false, reason: 'wrong_code' };
    const recoveryCodes = newRecoveryCodes();
    if (!(await enableTotp(this.#db, userId, check.step, recoveryCodes.map(hashRecoveryCode)))) {
      return { ok: false, reason: 'already_enabled' };
    }
    return { ok: true, recoveryCodes };
  }

  /** A current TOTP code, or an unused recovery code (then used up). */
  async verify(userId: string, rawCode: string): Promise<SecondFactor> {
    const code = rawCode.trim();
    const row = await findTotp(this.#db, userId);
    if (!row?.enabled_at) return { ok: false, reason: 'not_enrolled' };
    if (!isTotpCode(code)) {
      if (!looksLikeRecoveryCode(code)) return { ok: false, reason: 'wrong_code' };
      if (await useRecoveryCode(this.#db, userId, hashRecoveryCode(code))) return { ok: true, method: 'recovery_code' };
      return { ok: false, reason: 'wrong_recovery_code' };
    }
    const secret = this.#box.open(row.secret_encrypted, userId);
    if (secret === undefined) return { ok: false, reason: 'unreadable_secret' };
    const check = await checkTotp(secret, code, this.#now(), row.last_used_step);
    if (!check.ok) return { ok: false, reason: check.reason === 'reused' ? 'reused_code' : 'wrong_code' };
    // Another request may have accepted this step since the row was read.
    if (!(await advanceTotpStep(this.#db, userId, check.step))) return { ok: false, reason: 'reused_code' };
    return { ok: true, method: 'totp' };
  }

  /** Turns two-factor off, or drops a pending enrollment; false when there was neither. */
  disable(userId: string): Promise<boolean> {
    return deleteTotp(this.#db, userId);
  }

  /** The opaque, single-use token for a login's second step; only its hash is stored. */
  async challenge(user: { id: string; token_version: number }): Promise<{ mfa_token: string; expires_at: string }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = await insertMfaChallenge(this.#db, {
      tokenHash: hashToken(token),
      userId: user.id,
      tokenVersion: user.token_version,
      ttlMs: MFA_TOKEN_TTL_MS,
    });
    return { mfa_token: token, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Whose login a live (unused, unexpired) mfa_token continues. */
  challengeOf(token: string): Promise<{ user_id: string; token_version: number } | undefined> {
    return findLiveMfaChallenge(this.#db, hashToken(token));
  }

  /** Uses the mfa_token up; false when another request did first or it expired meanwhile. */
  redeem(token: string): Promise<boolean> {
    return redeemMfaChallenge(this.#db, hashToken(token));
  }
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
