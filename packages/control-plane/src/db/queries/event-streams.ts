import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

type Db = Kysely<Schema>;

const within = (ms: number) => sql<Date>`NOW() - ${ms}::double precision * INTERVAL '1 millisecond'`;

/**
 * Records a new stream of `userId` unless the user already holds `limit` live ones (seen within
 * `liveMs`) on any replica; returns how many they hold when refused. The user's row is locked for
 * the count and the insert, so parallel opens on every replica queue here and cannot exceed the cap.
 */
export async function reserveEventStream(
  db: Db,
  stream: { id: string; userId: string; replicaId: string },
  limit: number,
  liveMs: number,
): Promise<{ ok: true } | { ok: false; open: number }> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', stream.userId).forUpdate().executeTakeFirst();
    const row = await trx
      .selectFrom('event_streams')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', stream.userId)
      .where('seen_at', '>=', within(liveMs))
      .executeTakeFirstOrThrow();
    const open = Number(row.n);
    if (open >= limit) return { ok: false as const, open };
    await trx
      .insertInto('event_streams')
      .values({ id: stream.id, user_id: stream.userId, replica_id: stream.replicaId })
      .execute();
    return { ok: true as const };
  });
}

/** Marks the streams this replica still holds as live (one statement for all of them). */
export async function touchEventStreams(db: Db, ids: string[]) {
  if (ids.length === 0) return;
  await db
    .updateTable('event_streams')
    .set({ seen_at: sql<Date>`NOW()` })
    .where('id', 'in', ids)
    .execute();
}

export async function releaseEventStream(db: Db, id: string) {
  await db.deleteFrom('event_streams').where('id', '=', id).execute();
}

/** Rows no replica refreshed within `liveMs` (their replica died): they already stop counting. */
export async function deleteStaleEventStreams(db: Db, liveMs: number): Promise<number> {
  const result = await db.deleteFrom('event_streams').where('seen_at', '<', within(liveMs)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
