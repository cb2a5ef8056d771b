import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';

/** A session as the API shows it: with the owner's name and the agent's public id. */
export function sessionViews(db: Kysely<Schema>) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('agents as a', 'a.id', 's.agent_id')
    .select([
      's.id',
      'u.username as user',
      's.user_id',
      's.template_name as template',
      's.state',
      's.state_reason',
      's.progress',
      's.region',
      'a.agent_id as agent_id',
      // Where the session actually runs (the requested `region` is only a preference): My sessions shows it.
      'a.region as agent_region',
      's.platform',
      's.platform_metadata',
      's.state_changed_at',
      's.created_at',
      's.updated_at',
    ]);
}

export type SessionView = Awaited<ReturnType<ReturnType<typeof sessionViews>['executeTakeFirstOrThrow']>>;
