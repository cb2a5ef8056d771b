import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../schema.js';

type Db = Kysely<Schema> | Transaction<Schema>;

/** NOTIFY channel carrying the uuid of an agent an admin revoked: every replica closes its
 * connection at once. */
export const REVOKED_CHANNEL = 'streamspace_agent_revoked';

export interface AgentIdentityRow {
  id: string;
  agent_id: string;
  credential_hash: string | null;
  revoked_at: Date | null;
}

export function findAgentIdentity(db: Db, agentId: string): Promise<AgentIdentityRow | undefined> {
  return db
    .selectFrom('agents')
    .select(['id', 'agent_id', 'credential_hash', 'revoked_at'])
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
}

/** The enrolled, unrevoked agent a credential belongs to (the hash is unique). */
export function findAgentByCredentialHash(db: Db, credentialHash: string) {
  return db
    .selectFrom('agents')
    .select(['id', 'agent_id'])
    .where('credential_hash', '=', credentialHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/**
 * Binds `credentialHash` to `agentId` if the id is not enrolled (new, or a row from before agent
 * identity) and not revoked. Two connections enrolling one id at once: only one row update wins;
 * the other gets undefined and re-reads the row.
 */
export function enrollAgentId(
  db: Db,
  e: { agentId: string; platform: string; credentialHash: string; address: string | null },
) {
  const enrolled = {
    credential_hash: e.credentialHash,
    enrolled_at: sql<Date>`NOW()`,
    enrolled_from: e.address,
    updated_at: sql<Date>`NOW()`,
  };
  return db
    .insertInto('agents')
    .values({ agent_id: e.agentId, platform: e.platform, status: 'offline', ...enrolled })
    .onConflict((oc) =>
      oc
        .column('agent_id')
        .doUpdateSet(enrolled)
        .where('agents.credential_hash', 'is', null)
        .where('agents.revoked_at', 'is', null),
    )
    .returning(['id'])
    .executeTakeFirst();
}

/** Revokes an agent: its credential is dropped and its id can never be enrolled again. */
export function revokeAgentId(db: Db, agentId: string, by: string) {
  return db
    .updateTable('agents')
    .set({
      credential_hash: null,
      revoked_at: sql<Date>`COALESCE(revoked_at, NOW())`,
      revoked_by: sql<string>`COALESCE(revoked_by, ${by})`,
      status: 'offline',
      status_reason: `revoked by ${by}`,
      websocket_conn_id: null,
      updated_at: sql<Date>`NOW()`,
    })
    .where('agent_id', '=', agentId)
    .returning(['id', 'agent_id', 'revoked_at'])
    .executeTakeFirst();
}

/** Sent inside the revoking transaction, so replicas hear of it once it is committed. */
export async function announceAgentRevoked(db: Db, agentUuid: string): Promise<void> {
  await sql`SELECT pg_notify(${REVOKED_CHANNEL}, ${agentUuid})`.execute(db);
}

/** Of `agentUuids`, the ones revoked (checked after a lost LISTEN connection). */
export async function revokedAmong(db: Db, agentUuids: string[]): Promise<string[]> {
  if (agentUuids.length === 0) return [];
  const rows = await db
    .selectFrom('agents')
    .select('id')
    .where('id', 'in', agentUuids)
    .where('revoked_at', 'is not', null)
    .execute();
  return rows.map((r) => r.id);
}
