import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { clearFailures, currentFailures, recordFailure } from '../db/queries/login-failures.js';

export interface LoginLimits {
  windowMs: number;
  maxPerUser: number;
  maxPerIp: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, maxPerUser: 10, maxPerIp: 50 };

/**
 * Limits failed logins per username and per client address. Counts live in PostgreSQL so the limit
 * holds across replicas behind a load balancer.
 */
export class LoginLimiter {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Seconds to wait when either key has used its allowance, else undefined. */
  async blockedFor(username: string, ip: string): Promise<number | undefined> {
    const rows = await currentFailures(this.db, keys(username, ip), this.limits.windowMs);
    for (const row of rows) {
      const max = row.key.startsWith('user:') ? this.limits.maxPerUser : this.limits.maxPerIp;
      if (row.failures >= max) return Math.max(1, row.retry_after_s);
    }
    return undefined;
  }

  recordFailure(username: string, ip: string) {
    return recordFailure(this.db, keys(username, ip), this.limits.windowMs);
  }

  recordSuccess(username: string) {
    return clearFailures(this.db, `user:${username.toLowerCase()}`);
  }
}

const keys = (username: string, ip: string) => [`user:${username.toLowerCase()}`, `ip:${ip}`];
