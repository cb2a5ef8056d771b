import type { IncomingMessage } from 'node:http';
import type { Kysely } from 'kysely';
import { AGENT_CREDENTIAL_HEADER } from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { findAgentByCredentialHash } from '../db/queries/agent-identity.js';
import { hashCredential } from '../hub/agent-identity.js';

/** The uuid of the enrolled, unrevoked agent whose credential a tunnel dial carries, if any. */
export async function diallingAgent(db: Kysely<Schema>, request: IncomingMessage): Promise<string | undefined> {
  const header = request.headers[AGENT_CREDENTIAL_HEADER];
  return credentialAgent(db, (Array.isArray(header) ? header[0] : header) ?? '');
}

/** The uuid of the enrolled, unrevoked agent holding `credential`, if any. */
export async function credentialAgent(db: Kysely<Schema>, credential: string): Promise<string | undefined> {
  const trimmed = credential.trim();
  if (!trimmed) return undefined;
  return (await findAgentByCredentialHash(db, hashCredential(trimmed)))?.id;
}
