import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

type Db = Kysely<Schema>;

export interface TotpRow {
  user_id: string;
  secret_encrypted: string;
  enabled_at: Date | null;
  last_used_step: number | null;
}

export function findTotp(db: Db, userId: string): Promise<TotpRow | undefined> {
  return db
    .selectFrom('user_totp')
    .select(['user_id', 'secret_encrypted', 'enabled_at', 'last_used_step'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Starts (or restarts) an enrollment; never replaces one already confirmed. False if one is. */
export async function savePendingTotp(db: Db, userId: string, secretEncrypted: string): Promise<boolean> {
  const row = await db
    .insertInto('user_totp')
    .values({ user_id: userId, secret_encrypted: secretEncrypted })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({ secret_encrypted: secretEncrypted, last_used_step: null, created_at: sql`NOW()` })
        .where('user_totp.enabled_at', 'is', null),
    )
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Turns a pending enrollment on with its confirming code's step and the hashes of fresh recovery
 * codes, in one transaction. False when it was confirmed meanwhile (another tab, another replica)
 * or the step was already used.
 */
export function enableTotp(db: Db, userId: string, step: number, recoveryCodeHashes: string[]): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('user_totp')
      .set({ enabled_at: sql<Date>`NOW()`, last_used_step: step })
      .where('user_id', '=', userId)
      .where('enabled_at', 'is', null)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return false;
    await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('mfa_recovery_codes')
      .values(recoveryCodeHashes.map((code_hash) => ({ user_id: userId, code_hash })))
      .execute();
    return true;
  });
}

/**
 * Records an accepted code's time step, only if it is later than the last one: the compare-and-set
 * that refuses a code used twice, even when two replicas check it at the same moment.
 */
export async function advanceTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('user_totp')
    .set({ last_used_step: step })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Marks an unused recovery code used; false when there is no such unused code. */
export async function useRecoveryCode(db: Db, userId: string, codeHash: string): Promise<boolean> {
  const result = await db
    .updateTable('mfa_recovery_codes')
    .set({ used_at: sql<Date>`NOW()` })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('mfa_recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Turns two-factor off (or drops a pending enrollment): the secret and the recovery codes go. */
export async function deleteTotp(db: Db, userId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
    await trx.deleteFrom('mfa_challenges').where('user_id', '=', userId).execute();
    const result = await trx.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

/** The ids of the users with two-factor on (the admin's user list marks them). */
export async function usersWithTotp(db: Db): Promise<Set<string>> {
  const rows = await db.selectFrom('user_totp').select('user_id').where('enabled_at', 'is not', null).execute();
  return new Set(rows.map((r) => r.user_id));
}

/** A login's pending second step; expired and used ones are cleared as new ones are made. */
export async function insertMfaChallenge(
  db: Db,
  challenge: { tokenHash: string; userId: string; tokenVersion: number; ttlMs: number },
): Promise<Date> {
  await db
    .deleteFrom('mfa_challenges')
    .where((eb) => eb.or([eb('expires_at', '<', sql<Date>`NOW()`), eb('used_at', 'is not', null)]))
    .execute();
  const row = await db
    .insertInto('mfa_challenges')
    .values({
      token_hash: challenge.tokenHash,
      user_id: challenge.userId,
      token_version: challenge.tokenVersion,
      expires_at: sql<Date>`NOW() + ${challenge.ttlMs}::double precision * INTERVAL '1 millisecond'`,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return row.expires_at;
}

/** A challenge that is neither used nor expired (database time, one clock for all replicas). */
export function findLiveMfaChallenge(
  db: Db,
  tokenHash: string,
): Promise<{ user_id: string; token_version: number } | undefined> {
  return db
    .selectFrom('mfa_challenges')
    .select(['user_id', 'token_version'])
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .executeTakeFirst();
}

/** Redeems a challenge once: false when it was used (another request won) or expired meanwhile. */
export async function redeemMfaChallenge(db: Db, tokenHash: string): Promise<boolean> {
  const result = await db
    .updateTable('mfa_challenges')
    .set({ used_at: sql<Date>`NOW()` })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
