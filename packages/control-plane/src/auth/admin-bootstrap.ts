import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.js';
import { findUserByUsername, insertUserIfAbsent, updateUser } from '../db/queries/users.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type AdminBootstrap =
  | { kind: 'from-env'; username: string; changed: boolean }
  | { kind: 'generated'; username: string; passwordFile: string }
  | { kind: 'existing'; username: string };

/**
 * Makes sure the bootstrap administrator exists and can log in. ADMIN_PASSWORD, when set, is the
 * truth at every start: the stored hash is replaced when it no longer matches, so the seeds'
 * "password in the secret differs from the one in the database" failure cannot happen.
 */
export async function bootstrapAdmin(
  db: Kysely<Schema>,
  options: { username: string; password: string | undefined; dataDir: string },
  logger: Logger,
): Promise<AdminBootstrap> {
  const { username, password } = options;
  let existing = await findUserByUsername(db, username);

  if (password !== undefined) {
    if (!existing) {
      // Replicas starting together race here; the loser finds the winner's row and checks it below.
      const created = await insertUserIfAbsent(db, {
        username,
        password_hash: await hashPassword(password),
        role: 'admin',
      });
      if (created) {
        logger.info({ username }, 'Created administrator from ADMIN_PASSWORD');
        return { kind: 'from-env', username, changed: true };
      }
      existing = (await findUserByUsername(db, username))!;
    }
    const matches = await verifyPassword(existing.password_hash, password);
    if (!matches || existing.role !== 'admin' || existing.disabled) {
      await updateUser(db, existing.id, {
        ...(matches ? {} : { password_hash: await hashPassword(password) }),
        role: 'admin',
        disabled: false,
      });
      logger.info({ username }, 'Administrator updated to match ADMIN_PASSWORD');
      return { kind: 'from-env', username, changed: true };
    }
    return { kind: 'from-env', username, changed: false };
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
  logger.info({ username, passwordFile }, 'Generated administrator password');
  return { kind: 'generated', username, passwordFile };
}
