import { describe, after } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { fromPGlite, type Database } from '@streamspace/control-plane';
import { PostgresServer } from './postgres-server.js';

/**
 * Where a test's control plane keeps its data. Integration tests run once per target so PGlite
 * and PostgreSQL are held to the same behaviour.
 */
export interface DatabaseTarget {
  name: 'PGlite' | 'PostgreSQL';
  /** A fresh database: an in-memory PGlite, or a new database on the shared PostgreSQL server. */
  fresh(): Promise<FreshDatabase>;
}

export type FreshDatabase =
  | { kind: 'pglite'; database: Database; close(): Promise<void> }
  | { kind: 'postgres'; url: string; close(): Promise<void> };

let shared: Promise<PostgresServer> | undefined;

// Registered at import, on the file's root: an after() inside a hook would run when that hook ends.
after(async () => {
  if (shared) await (await shared).destroy();
});

/**
 * The run's PostgreSQL server: scripts/run-tests.mjs starts one for all test files and passes its
 * URL in STREAMSPACE_TEST_PG_URL; a test file run on its own starts a private one.
 */
export async function sharedPostgres(): Promise<{ createDatabase(prefix?: string): Promise<string> }> {
  const url = process.env.STREAMSPACE_TEST_PG_URL;
  if (url) return { createDatabase: (prefix) => createDatabaseAt(url, prefix) };
  shared ??= PostgresServer.start();
  return shared;
}

async function createDatabaseAt(url: string, prefix = 't'): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

export const PGLITE: DatabaseTarget = {
  name: 'PGlite',
  async fresh() {
    const database = fromPGlite(await PGlite.create());
    return { kind: 'pglite', database, close: () => database.close() };
  },
};

export const POSTGRES: DatabaseTarget = {
  name: 'PostgreSQL',
  async fresh() {
    const server = await sharedPostgres();
    const url = await server.createDatabase();
    return { kind: 'postgres', url, close: async () => undefined };
  },
};

/** Declares the suite once per database: `describe('… on PGlite')`, `describe('… on PostgreSQL')`. */
export function forEachDatabase(title: string, suite: (target: DatabaseTarget) => void): void {
  for (const target of [PGLITE, POSTGRES]) {
    describe(`${title} on ${target.name}`, () => suite(target));
  }
}
