import { sql, type Kysely } from 'kysely';
import type { SessionStateName } from '@streamspace/protocol';
import type { Schema } from '../schema.js';
import { sessionViews } from './session-views.js';

type Db = Kysely<Schema>;

/** How many sessions are in each state (deleted ones left out: they only pile up), counted by the
 * database rather than by listing every session. */
export async function countSessionsByState(db: Db): Promise<Array<{ state: SessionStateName; count: number }>> {
  const rows = await db
    .selectFrom('sessions')
    .select(['state', (eb) => eb.fn.countAll<string | number | bigint>().as('count')])
    .where('state', '!=', 'deleted')
    .groupBy('state')
    .execute();
  return rows.map((r) => ({ state: r.state, count: Number(r.count) }));
}

/** The newest failed sessions, with the reason they failed and where. */
export function recentFailedSessions(db: Db, limit: number) {
  return sessionViews(db)
    .where('s.state', '=', 'failed')
    .orderBy('s.state_changed_at', 'desc')
    .orderBy('s.id')
    .limit(limit)
    .execute();
}

/** Per user, the API tokens that still work (not revoked, not expired). */
export async function activeApiTokenCounts(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('api_tokens')
    .select(['user_id', (eb) => eb.fn.countAll<string | number | bigint>().as('count')])
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .groupBy('user_id')
    .execute();
  return new Map(rows.map((r) => [r.user_id, Number(r.count)]));
}
