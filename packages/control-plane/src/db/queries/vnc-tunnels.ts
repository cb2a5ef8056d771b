import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export function insertTunnel(
  db: Kysely<Schema>,
  tunnel: { id: string; sessionId: string; replicaId: string; replicaUrl: string },
) {
  return db
    .insertInto('vnc_tunnels')
    .values({
      id: tunnel.id,
      session_id: tunnel.sessionId,
      replica_id: tunnel.replicaId,
      replica_url: tunnel.replicaUrl,
    })
    .execute();
}

/** The tunnel with the agent its session is assigned to (whose token admits the dial). */
export function findTunnel(db: Kysely<Schema>, id: string) {
  return db
    .selectFrom('vnc_tunnels as t')
    .innerJoin('sessions as s', 's.id', 't.session_id')
    .selectAll('t')
    .select('s.agent_id')
    .where('t.id', '=', id)
    .executeTakeFirst();
}

export function deleteTunnel(db: Kysely<Schema>, id: string) {
  return db.deleteFrom('vnc_tunnels').where('id', '=', id).execute();
}

/** A tunnel row matters only until the agent dials in (seconds); the maintenance loop drops old ones. */
export function deleteStaleTunnels(db: Kysely<Schema>) {
  return db
    .deleteFrom('vnc_tunnels')
    .where('created_at', '<', sql<Date>`NOW() - INTERVAL '10 minutes'`)
    .execute();
}
