import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

type Db = Kysely<Schema>;

/** Failures recorded for `key` in the window still open, or 0. */
export async function currentFailures(db: Db, keys: string[], windowMs: number) {
  if (keys.length === 0) return [];
  return db
    .selectFrom('login_failures')
    .select([
      'key',
      'failures',
      sql<number>`CEIL(EXTRACT(EPOCH FROM (window_started_at + ${windowMs}::double precision * INTERVAL '1 millisecond' - NOW())))::int`.as(
        'retry_after_s',
      ),
    ])
    .where('key', 'in', keys)
    .where('window_started_at', '>', sql<Date>`NOW() - ${windowMs}::double precision * INTERVAL '1 millisecond'`)
    .execute();
}

/** Counts one failure per key, opening a new window where the old one has closed. */
export async function recordFailure(db: Db, keys: string[], windowMs: number) {
  for (const key of keys) {
    await sql`
      INSERT INTO login_failures (key, failures, window_started_at) VALUES (${key}, 1, NOW())
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN login_failures.window_started_at > NOW() - ${windowMs}::double precision * INTERVAL '1 millisecond'
                        THEN login_failures.failures + 1 ELSE 1 END,
        window_started_at = CASE WHEN login_failures.window_started_at > NOW() - ${windowMs}::double precision * INTERVAL '1 millisecond'
                        THEN login_failures.window_started_at ELSE NOW() END
    `.execute(db);
  }
}

export async function clearFailures(db: Db, key: string) {
  await db.deleteFrom('login_failures').where('key', '=', key).execute();
}
