import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.js';
import { findUserByUsername, insertUserIfAbsent, updateUser } from '../db/queries/users.js';
import { recordAudit } from '../db/queries/audit.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type AdminBootstrap =
  | { kind: 'from-env'; username: string; changed: boolean }
  | { kind: 'generated'; username: string; passwordFile: string }
  | { kind: 'existing'; username: string };

/**
 * Makes sure the bootstrap administrator exists and can log in with ADMIN_PASSWORD, without undoing
 * what an administrator did since. The row keeps an argon2 hash of the ADMIN_PASSWORD last applied
 * (`admin_password_applied`); a start with that same value changes nothing (a password rotated in
 * the UI, a disabled or demoted bootstrap account stay as they are), a start with a different value
 * applies it: password, admin role, enabled, and every old token revoked. So the seed's failure
 * ("the password in the secret does not work") cannot happen after a secret change, and a restart
 * never silently reverts an administrator's decision.
 */
export async function bootstrapAdmin(
  db: Kysely<Schema>,
  options: { username: string; password: string | undefined; dataDir: string },
  logger: Logger,
): Promise<AdminBootstrap> {
  const { username, password } = options;
  // The deployment, not a person, changed the account: the audit log's actor is `system`.
  const audit = (action: string, userId: string, details: Record<string, unknown>) =>
    recordAudit(db, { actorUserId: null, actor: 'system', action, targetType: 'user', targetId: userId, details });
  let existing = await findUserByUsername(db, username);

  if (password !== undefined) {
    if (!existing) {
      // Replicas starting together race here; the loser finds the winner's row and checks it below.
      const hash = await hashPassword(password);
      const created = await insertUserIfAbsent(db, { username, password_hash: hash, role: 'admin' });
      if (created) {
        await updateUser(db, created.id, { admin_password_applied: hash });
        await audit('user.create', created.id, { username, role: 'admin', source: 'ADMIN_PASSWORD' });
        logger.info({ username }, 'Created administrator from ADMIN_PASSWORD');
        return { kind: 'from-env', username, changed: true };
      }
      existing = (await findUserByUsername(db, username))!;
    }
    const applied = existing.admin_password_applied;
    if (applied !== null && (await verifyPassword(applied, password))) {
      if (existing.disabled || existing.role !== 'admin' || !(await verifyPassword(existing.password_hash, password))) {
        logger.info(
          { username, disabled: existing.disabled, role: existing.role },
          'ADMIN_PASSWORD unchanged since it was applied; keeping the administrator as changed since (rotate ADMIN_PASSWORD to reset it)',
        );
      }
      return { kind: 'from-env', username, changed: false };
    }
    // A new value (or a row from before migration 0009 / a generated password): apply it. A row whose
    // password already matches is only recorded, so upgrading revokes no one's login.
    const matches = await verifyPassword(existing.password_hash, password);
    if (matches && existing.role === 'admin' && !existing.disabled) {
      await updateUser(db, existing.id, { admin_password_applied: existing.password_hash });
      return { kind: 'from-env', username, changed: false };
    }
    const hash = matches ? existing.password_hash : await hashPassword(password);
    await updateUser(
      db,
      existing.id,
      { password_hash: hash, admin_password_applied: hash, role: 'admin', disabled: false },
      { revokeTokens: true },
    );
    await audit('user.update', existing.id, {
      username,
      fields: ['password', 'role', 'disabled'],
      source: 'ADMIN_PASSWORD changed',
    });
    logger.info({ username }, 'Administrator updated to match ADMIN_PASSWORD');
    return { kind: 'from-env', username, changed: true };
  }

  if (existing) return { kind: 'existing', username };

  const generated = randomBytes(18).toString('base64url');
  await mkdir(options.dataDir, { recursive: true });
  const passwordFile = join(options.dataDir, 'admin-password');
  // Written before the user row so a crash in between never leaves an admin nobody can log in as;
  // renamed into place only if this process's row won (another replica may have created it).
  const pendingFile = `${passwordFile}.pending`;
  await writeFile(pendingFile, `${generated}\n`, { mode: 0o600 });
  const created = await insertUserIfAbsent(db, {
    username,
    password_hash: await hashPassword(generated),
    role: 'admin',
  });
  if (!created) {
    await rm(pendingFile, { force: true });
    return { kind: 'existing', username };
  }
  await rename(pendingFile, passwordFile);
  await audit('user.create', created.id, { username, role: 'admin', source: 'generated password' });
  logger.info({ username, passwordFile }, 'Generated administrator password');
  return { kind: 'generated', username, passwordFile };
}
