import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createLogger, openDatabase, type ControlPlaneConfig } from '@streamspace/control-plane';
import type { Check } from './check.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * PostgreSQL (DATABASE_URL / DB_*): answers a query. PGlite: its data directory can be written. The
 * PGlite database itself is not opened: a running control plane holds it.
 */
export async function databaseCheck(config: ControlPlaneConfig): Promise<Check> {
  const database = config.database;
  if (database.kind === 'pglite') {
    try {
      // The nearest directory that exists: the control plane creates the rest; doctor changes nothing.
      let dir = database.dataDir;
      while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
      await access(dir, constants.W_OK);
      const state = dir === database.dataDir ? 'writable' : `to be created in ${dir}, which is writable`;
      return { name: 'database', status: 'ok', detail: `embedded PGlite in ${database.dataDir} (${state})` };
    } catch (error) {
      return {
        name: 'database',
        status: 'problem',
        detail: `embedded PGlite: cannot write ${database.dataDir}: ${(error as Error).message}`,
        fix: 'set STREAMSPACE_DATA_DIR=<a directory you can write>, or DATABASE_URL=postgres://… for PostgreSQL',
      };
    }
  }
  const where = safeLocation(database.url);
  const db = await openDatabase(database, createLogger('silent'));
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      db.withConnection(async (c) => (await c.query<{ v: string }>('SHOW server_version AS v')).rows[0]?.v),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000}s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
    return { name: 'database', status: 'ok', detail: `PostgreSQL ${version ?? ''} at ${where}`.replace('  ', ' ') };
  } catch (error) {
    return {
      name: 'database',
      status: 'problem',
      detail: `PostgreSQL at ${where} did not answer: ${describe(error)}`,
      fix:
        'start PostgreSQL there, or correct DATABASE_URL (or DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME);\n' +
        'unset both to use the embedded database in STREAMSPACE_DATA_DIR',
    };
  } finally {
    clearTimeout(timer);
    await db.close().catch(() => undefined);
  }
}

/** host:port/database, never the user or password. */
function safeLocation(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

function describe(error: unknown): string {
  const e = error as Error & { code?: string; errors?: Error[] };
  // pg reports a refused dual-stack connection as an AggregateError with an empty message.
  return e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(error);
}
