import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/** Stores a one-time code (its hash) for `userId`; expired codes are swept on the way. */
export async function insertLoginCode(
  db: Kysely<Schema>,
  code: string,
  row: { userId: string; returnTo: string; ttlMs: number },
): Promise<void> {
  await db.deleteFrom('oidc_login_codes').where('expires_at', '<', new Date()).execute();
  await db
    .insertInto('oidc_login_codes')
    .values({
      code_hash: hashOf(code),
      user_id: row.userId,
      return_to: row.returnTo,
      expires_at: new Date(Date.now() + row.ttlMs),
    })
    .execute();
}

/** Redeems a code: deleted as it is read, so two redemptions (on any replicas) cannot both succeed. */
export async function takeLoginCode(
  db: Kysely<Schema>,
  code: string,
): Promise<{ userId: string; returnTo: string } | undefined> {
  const row = await db
    .deleteFrom('oidc_login_codes')
    .where('code_hash', '=', hashOf(code))
    .where('expires_at', '>', new Date())
    .returning(['user_id', 'return_to'])
    .executeTakeFirst();
  return row ? { userId: row.user_id, returnTo: row.return_to ?? '/' } : undefined;
}
