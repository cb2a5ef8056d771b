import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

type Db = Kysely<Schema>;

export interface ThrottleKey {
  key: string;
  /** Attempts admitted without delay. */
  free: number;
}

export interface Delays {
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The delay after the n-th counted attempt: none within `free`, then doubling up to the cap. */
export function delayAfter(n: number, free: number, delays: Delays): number {
  if (n < free) return 0;
  return Math.min(delays.maxDelayMs, delays.baseDelayMs * 2 ** Math.min(30, n - free));
}

/**
 * Admits an attempt when no key is blocked, counting it on every key and blocking each for the delay
 * its new count earns; else the seconds until the later block ends. One transaction with the rows
 * locked in key order: replicas admit parallel attempts one at a time, and cannot deadlock.
 */
export async function reserveAttempt(
  db: Db,
  keys: ThrottleKey[],
  delays: Delays,
): Promise<{ ok: true } | { ok: false; retryAfterS: number }> {
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : 1));
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('login_failures')
      .values(sorted.map(({ key }) => ({ key, failures: 0, window_started_at: sql<Date>`NOW()` })))
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const rows = await trx
      .selectFrom('login_failures')
      .select([
        'key',
        'failures',
        sql<number>`FLOOR(EXTRACT(EPOCH FROM blocked_until - NOW()) * 1000)::float8`.as('blocked_ms'),
        sql<boolean>`COALESCE(last_attempt_at, window_started_at) < NOW() - ${delays.windowMs}::double precision * INTERVAL '1 millisecond'`.as(
          'quiet',
        ),
      ])
      .where(
        'key',
        'in',
        sorted.map((k) => k.key),
      )
      .orderBy('key')
      .forUpdate()
      .execute();
    const blockedMs = Math.max(0, ...rows.map((r) => Number(r.blocked_ms ?? 0)));
    if (blockedMs > 0) return { ok: false as const, retryAfterS: Math.max(1, Math.ceil(blockedMs / 1000)) };
    for (const row of rows) {
      const free = sorted.find((k) => k.key === row.key)!.free;
      const count = (row.quiet ? 0 : row.failures) + 1;
      const delayMs = delayAfter(count, free, delays);
      await trx
        .updateTable('login_failures')
        .set({
          failures: count,
          last_attempt_at: sql<Date>`NOW()`,
          ...(row.quiet ? { window_started_at: sql<Date>`NOW()` } : {}),
          blocked_until:
            delayMs > 0 ? sql<Date>`NOW() + ${delayMs}::double precision * INTERVAL '1 millisecond'` : null,
        })
        .where('key', '=', row.key)
        .execute();
    }
    return { ok: true as const };
  });
}

export async function refundAttempt(db: Db, key: string) {
  await db
    .updateTable('login_failures')
    .set((eb) => ({ failures: sql<number>`GREATEST(${eb.ref('failures')} - 1, 0)` }))
    .where('key', '=', key)
    .execute();
}

export async function clearFailures(db: Db, key: string) {
  await db.deleteFrom('login_failures').where('key', '=', key).execute();
}
