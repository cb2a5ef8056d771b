import { sql, type Kysely } from 'kysely';
import type { AgentCapacityJson, AgentUsageJson, Schema } from '../schema.js';
import { ACTIVE_STATES } from './sessions.js';

type Db = Kysely<Schema>;

export interface AgentRegistration {
  /** The row authorizeRegistration matched or enrolled. */
  agentUuid: string;
  address: string | null;
  platform: string;
  region: string | null;
  pool: string | null;
  capacity: AgentCapacityJson;
  version: string;
  replicaId: string;
  connectionId: string;
}

/** Marks the enrolled agent online, held by this replica's connection; undefined if it was revoked
 * since its credential was checked. */
export function upsertAgentOnRegister(db: Db, r: AgentRegistration) {
  return db
    .updateTable('agents')
    .set({
      platform: r.platform,
      region: r.region,
      pool: r.pool,
      status: 'online' as const,
      status_reason: null,
      capacity: JSON.stringify(r.capacity),
      metadata: JSON.stringify({ version: r.version }),
      websocket_conn_id: r.connectionId,
      replica_id: r.replicaId,
      last_address: r.address,
      last_heartbeat: sql<Date>`NOW()`,
      updated_at: sql<Date>`NOW()`,
    })
    .where('id', '=', r.agentUuid)
    .where('revoked_at', 'is', null)
    .returning(['id', 'agent_id'])
    .executeTakeFirst();
}

/** Marks the agent offline when the connection that holds it closes; a newer connection (maybe on
 * another replica) has already replaced the conn id, and then nothing changes. */
export function markAgentDisconnected(db: Db, agentUuid: string, connectionId: string, reason: string) {
  return db
    .updateTable('agents')
    .set({ status: 'offline', status_reason: reason, websocket_conn_id: null, updated_at: new Date() })
    .where('id', '=', agentUuid)
    .where('websocket_conn_id', '=', connectionId)
    .executeTakeFirst();
}

export async function findAgentPool(db: Db, agentUuid: string): Promise<string | null> {
  const row = await db.selectFrom('agents').select('pool').where('id', '=', agentUuid).executeTakeFirst();
  return row?.pool ?? null;
}

export async function isAgentOnline(db: Db, agentUuid: string): Promise<boolean> {
  const row = await db.selectFrom('agents').select('status').where('id', '=', agentUuid).executeTakeFirst();
  return row?.status === 'online';
}

/** The liveness rule every replica applies: no heartbeat for `timeoutMs` means offline. */
export function markAgentsOffline(db: Db, timeoutMs: number) {
  return db
    .updateTable('agents')
    .set({
      status: 'offline',
      status_reason: `no heartbeat for ${timeoutMs / 1000}s`,
      updated_at: sql<Date>`NOW()`,
    })
    .where('status', '=', 'online')
    .where('last_heartbeat', '<', sql<Date>`NOW() - ${timeoutMs}::double precision * INTERVAL '1 millisecond'`)
    .returning(['id', 'agent_id'])
    .execute();
}

export interface HeartbeatRow {
  agentUuid: string;
  connectionId: string;
  at: Date;
  capacity: AgentCapacityJson;
  used: AgentUsageJson;
}

/**
 * Writes a batch of heartbeats in one statement (one write per flush per replica, not one per
 * heartbeat). Rows whose connection was taken over elsewhere are skipped by the conn id match.
 */
export async function flushHeartbeats(db: Db, rows: HeartbeatRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await sql`
    UPDATE agents AS a
    SET last_heartbeat = v.at,
        capacity = v.capacity::jsonb,
        used = v.used::jsonb,
        status = 'online',
        status_reason = NULL,
        updated_at = NOW()
    FROM unnest(
      ${rows.map((r) => r.agentUuid)}::uuid[],
      ${rows.map((r) => r.connectionId)}::text[],
      ${rows.map((r) => r.at.toISOString())}::timestamptz[],
      ${rows.map((r) => JSON.stringify(r.capacity))}::text[],
      ${rows.map((r) => JSON.stringify(r.used))}::text[]
    ) AS v(id, conn_id, at, capacity, used)
    WHERE a.id = v.id AND a.websocket_conn_id = v.conn_id
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

function agentsWithSessionCounts(db: Db) {
  return db
    .selectFrom('agents as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('sessions as s')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('s.agent_id', '=', 'a.id')
        .where('s.state', 'in', ACTIVE_STATES)
        .as('session_count'),
    );
}

export function listAgentsWithSessionCounts(db: Db) {
  return agentsWithSessionCounts(db).orderBy('a.agent_id').execute();
}

export function findAgentByAgentId(db: Db, agentId: string) {
  return agentsWithSessionCounts(db).where('a.agent_id', '=', agentId).executeTakeFirst();
}

/**
 * Online agents that can take a session needing `cpu` cores and `memoryMb`, least loaded first,
 * agents in `region` before others. Capacity 0 means unlimited (the seed's MAX_* convention).
 */
export function findPlacementCandidates(
  db: Db,
  need: { platform: string | null; region: string | null; cpu: number; memoryMb: number },
) {
  let query = db
    .selectFrom('agents as a')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('sessions as s')
          .leftJoin('templates as t', 't.id', 's.template_id')
          .select([
            's.agent_id',
            (e) => e.fn.countAll<number>().as('sessions'),
            sql<number>`COALESCE(SUM(t.cpu_limit), 0)`.as('cpu'),
            sql<number>`COALESCE(SUM(t.memory_limit_mb), 0) / 1024.0`.as('memory_gb'),
          ])
          .where('s.state', 'in', ACTIVE_STATES)
          .where('s.agent_id', 'is not', null)
          .groupBy('s.agent_id')
          .as('load'),
      (join) => join.onRef('load.agent_id', '=', 'a.id'),
    )
    .select([
      'a.id',
      'a.agent_id',
      'a.platform',
      'a.region',
      sql<number>`COALESCE(load.sessions, 0)::int`.as('active_sessions'),
    ])
    .where('a.status', '=', 'online').where(sql<boolean>`(
      COALESCE((a.capacity->>'max_sessions')::int, 0) = 0
      OR COALESCE(load.sessions, 0) < (a.capacity->>'max_sessions')::int)`).where(sql<boolean>`(
      COALESCE((a.capacity->>'max_cpu')::float8, 0) = 0
      OR COALESCE(load.cpu, 0) + ${need.cpu}::float8 <= (a.capacity->>'max_cpu')::float8)`).where(sql<boolean>`(
      COALESCE((a.capacity->>'max_memory_gb')::float8, 0) = 0
      OR COALESCE(load.memory_gb, 0) + ${need.memoryMb}::float8 / 1024.0 <= (a.capacity->>'max_memory_gb')::float8)`);
  if (need.platform) query = query.where('a.platform', '=', need.platform);
  return query
    .orderBy(sql`CASE WHEN a.region = ${need.region ?? ''}::text THEN 0 ELSE 1 END`)
    .orderBy(sql`COALESCE(load.sessions, 0)`)
    .orderBy('a.agent_id')
    .execute();
}

export async function countAgentsByStatus(db: Db) {
  return db
    .selectFrom('agents')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
}
