import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { clearFailures, refundAttempt, reserveAttempt } from '../db/queries/login-failures.js';

export interface LoginLimits {
  /** Attempts are forgotten after this long without one. */
  windowMs: number;
  /** Failed attempts per username before delays start. */
  maxPerUser: number;
  /** Failed attempts per client address before delays start. */
  maxPerIp: number;
  /** The first delay; each further attempt doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  windowMs: 15 * 60_000,
  maxPerUser: 5,
  maxPerIp: 50,
  baseDelayMs: 2_000,
  maxDelayMs: 5 * 60_000,
};

export type Attempt = { ok: true } | { ok: false; retryAfterS: number };

/**
 * Throttles password guessing per username and per client address, across replicas: the count is
 * taken BEFORE the password is checked, in one transaction holding both rows' locks, so parallel
 * attempts on any replica are admitted one by one. Up to `max` attempts pass freely; each one after
 * blocks the key for a delay that doubles (2 s, 4 s, 8 s … at most 5 min), so the real user waits
 * seconds to minutes, never a lockout, while a guesser gets a handful of checks per hour. A success
 * clears the username's count.
 */
export class LoginLimiter {
  readonly limits: LoginLimits;

  constructor(
    private readonly db: Kysely<Schema>,
    limits: Partial<LoginLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
  }

  /** Counts an attempt for both keys, or says how long to wait when either is blocked. */
  reserve(username: string, ip: string): Promise<Attempt> {
    return this.#reserve(userKey(username), ip);
  }

  /** Counts a two-factor code attempt (TOTP or recovery code) for the user and the address. */
  reserveCode(userId: string, ip: string): Promise<Attempt> {
    return this.#reserve(codeKey(userId), ip);
  }

  /** The code was right: the user's code count goes, and the address gets its attempt back. */
  recordCodeSuccess(userId: string, ip: string): Promise<void> {
    return this.#succeeded(codeKey(userId), ip);
  }

  #reserve(key: string, ip: string): Promise<Attempt> {
    const { windowMs, baseDelayMs, maxDelayMs } = this.limits;
    return reserveAttempt(
      this.db,
      [
        { key, free: this.limits.maxPerUser },
        { key: `ip:${ip}`, free: this.limits.maxPerIp },
      ],
      { windowMs, baseDelayMs, maxDelayMs },
    );
  }

  /** The password was right: the user's count goes, and the address gets its attempt back. */
  recordSuccess(username: string, ip: string): Promise<void> {
    return this.#succeeded(userKey(username), ip);
  }

  async #succeeded(key: string, ip: string) {
    await clearFailures(this.db, key);
    await refundAttempt(this.db, `ip:${ip}`);
  }
}

const userKey = (username: string) => `user:${username.toLowerCase()}`;
/** Codes are counted apart from passwords: a right password clears the password count, and must
 * not hand whoever knows it a fresh allowance of code guesses. */
const codeKey = (userId: string) => `mfa:${userId}`;
