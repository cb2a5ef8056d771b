import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Kysely } from 'kysely';
import { CloseCode, JOIN_TOKEN_HEADER, agentIdProblem, credentialProblem } from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { enrollAgentId, findAgentByCredentialHash, findAgentIdentity } from '../db/queries/agent-identity.js';
import { recordAudit } from '../db/queries/audit.js';

/** What a control connection proved at its upgrade. */
export interface AgentAuth {
  /** It presented the join token (AGENT_TOKEN): it may enroll an agent id not enrolled yet. */
  joinToken: boolean;
  /** SHA-256 (hex) of the credential it presented as `Authorization: Bearer`, if any. */
  credentialHash: string | undefined;
  /** Why the presented credential cannot be enrolled (too short…), if it cannot. */
  credentialProblem: string | undefined;
}

/**
 * A credential is 32 random bytes, so SHA-256 is enough to store it: nobody can guess it from a
 * dictionary, which is what a slow hash (argon2id) defends a password against, and a fast hash
 * costs nothing on every reconnect of every agent.
 */
export function hashCredential(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}

function sameSecret(presented: string, expected: string): boolean {
  // Both sides hashed first: the comparison leaks neither content nor length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return presented.length > 0 && timingSafeEqual(a, b);
}

/**
 * Reads the upgrade's credentials. `Authorization: Bearer <AGENT_TOKEN>` (what agents sent before
 * agent identity) counts as the join token with no credential: such an agent is told to upgrade.
 */
export function readAgentAuth(request: IncomingMessage, joinToken: string): AgentAuth {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim() ?? '';
  const joinHeader = request.headers[JOIN_TOKEN_HEADER];
  const join = (Array.isArray(joinHeader) ? joinHeader[0] : joinHeader)?.trim() ?? '';
  const bearerIsJoinToken = bearer !== '' && sameSecret(bearer, joinToken);
  const credential = bearerIsJoinToken ? '' : bearer;
  return {
    joinToken: bearerIsJoinToken || (join !== '' && sameSecret(join, joinToken)),
    credentialHash: credential ? hashCredential(credential) : undefined,
    credentialProblem: credential ? credentialProblem(credential) : 'no agent credential was presented',
  };
}

/** Whether an upgrade may proceed to `register`: it holds the join token or an enrolled agent's credential. */
export async function upgradeAllowed(db: Kysely<Schema>, auth: AgentAuth): Promise<string | undefined> {
  if (auth.joinToken) return undefined;
  if (!auth.credentialHash) {
    return 'agent credential missing: send Authorization: Bearer <agent credential> (and the join token in X-StreamSpace-Join-Token to enroll)';
  }
  if (await findAgentByCredentialHash(db, auth.credentialHash)) return undefined;
  return 'agent credential unknown or revoked; a new agent enrolls with the join token (AGENT_TOKEN) in X-StreamSpace-Join-Token';
}

export type RegistrationDecision =
  { ok: true; agentUuid: string; enrolled: boolean } | { ok: false; code: number; reason: string };

/**
 * Decides whether a connection may speak for `agentId`. An enrolled id needs its own credential,
 * whatever else the connection holds: the join token never displaces an enrolled agent. An id not
 * enrolled yet is enrolled with the presented credential when the connection holds the join token.
 */
export async function authorizeRegistration(
  db: Kysely<Schema>,
  r: { agentId: string; platform: string; auth: AgentAuth; address: string | null },
): Promise<RegistrationDecision> {
  const idProblem = agentIdProblem(r.agentId);
  if (idProblem) return { ok: false, code: CloseCode.InvalidAgentId, reason: idProblem };
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await findAgentIdentity(db, r.agentId);
    if (row?.revoked_at) {
      return {
        ok: false,
        code: CloseCode.Revoked,
        reason: `agent ${r.agentId} was revoked; enroll this host under a new AGENT_ID`,
      };
    }
    if (row?.credential_hash) {
      if (r.auth.credentialHash && sameSecret(r.auth.credentialHash, row.credential_hash)) {
        return { ok: true, agentUuid: row.id, enrolled: false };
      }
      return {
        ok: false,
        code: CloseCode.IdentityRefused,
        reason: `agent ${r.agentId} is enrolled and this connection lacks its credential`,
      };
    }
    if (!r.auth.joinToken) {
      return {
        ok: false,
        code: CloseCode.IdentityRefused,
        reason: `agent ${r.agentId} is not enrolled; present the join token (AGENT_TOKEN) to enroll it`,
      };
    }
    if (!r.auth.credentialHash || r.auth.credentialProblem) {
      return {
        ok: false,
        code: CloseCode.IdentityRefused,
        reason: `cannot enroll ${r.agentId}: ${r.auth.credentialProblem ?? 'no credential'}; upgrade the agent`,
      };
    }
    try {
      // The enrollment and its audit entry commit together: no agent id holds a credential unrecorded.
      const credentialHash = r.auth.credentialHash;
      const enrolled = await db.transaction().execute(async (trx) => {
        const row = await enrollAgentId(trx, {
          agentId: r.agentId,
          platform: r.platform,
          credentialHash,
          address: r.address,
        });
        if (row) {
          await recordAudit(trx, {
            actorUserId: null,
            actor: `agent:${r.agentId}`,
            action: 'agent.enroll',
            targetType: 'agent',
            targetId: r.agentId,
            details: { platform: r.platform },
            ip: r.address,
          });
        }
        return row;
      });
      if (enrolled) return { ok: true, agentUuid: enrolled.id, enrolled: true };
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        return {
          ok: false,
          code: CloseCode.IdentityRefused,
          reason: `cannot enroll ${r.agentId}: its credential is already another agent's; give each agent its own`,
        };
      }
      throw error;
    }
    // Another connection enrolled or revoked the id meanwhile: decide again on the new row.
  }
  return { ok: false, code: CloseCode.IdentityRefused, reason: `agent ${r.agentId} changed while enrolling; retry` };
}
