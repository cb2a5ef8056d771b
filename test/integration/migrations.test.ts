import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, migrate, openDatabase, readMigrations, type Database } from '@streamspace/control-plane';
import { sql } from 'kysely';
import { forEachDatabase, sharedPostgres, type FreshDatabase } from '../support/databases.js';

async function open(fresh: FreshDatabase): Promise<Database> {
  return fresh.kind === 'pglite'
    ? fresh.database
    : openDatabase({ kind: 'postgres', url: fresh.url, poolMax: 4 }, createLogger('silent'));
}

async function schemaSnapshot(database: Database) {
  const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
    SELECT table_name, column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, column_name`.execute(database.db);
  const templates = await database.db.selectFrom('templates').select('name').orderBy('name').execute();
  return { rows, templates };
}

forEachDatabase('migrations', (target) => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  test('apply once, then a second run applies nothing and changes nothing', async () => {
    const fresh = await target.fresh();
    const database = await open(fresh);
    closers.push(async () => {
      if (fresh.kind === 'postgres') await database.close();
      await fresh.close();
    });
    const all = await readMigrations();
    assert.deepEqual(
      await migrate(database),
      all.map((m) => m.version),
    );
    const before = await schemaSnapshot(database);
    assert.deepEqual(await migrate(database), []);
    assert.deepEqual(await schemaSnapshot(database), before);
    for (const table of ['users', 'templates', 'agents', 'agent_commands', 'sessions', 'audit_log']) {
      assert.ok(
        before.rows.some((r) => r.table_name === table),
        `table ${table}`,
      );
    }
    // The seed migration's columns are all there, so its queries keep working.
    for (const column of [
      'agent_id',
      'platform',
      'region',
      'status',
      'capacity',
      'metadata',
      'websocket_conn_id',
      'last_heartbeat',
    ]) {
      assert.ok(
        before.rows.some((r) => r.table_name === 'agents' && r.column_name === column),
        `agents.${column}`,
      );
    }
    for (const column of ['agent_id', 'platform', 'platform_metadata', 'state', 'state_reason']) {
      assert.ok(
        before.rows.some((r) => r.table_name === 'sessions' && r.column_name === column),
        `sessions.${column}`,
      );
    }
    assert.deepEqual(
      before.templates.map((t) => t.name),
      ['desktop', 'firefox-browser', 'xterm'],
    );
  });

  test('a failing migration rolls back whole and names itself', async () => {
    const fresh = await target.fresh();
    const database = await open(fresh);
    closers.push(async () => {
      if (fresh.kind === 'postgres') await database.close();
      await fresh.close();
    });
    await assert.rejects(
      migrate(database, [
        { version: 1, name: '0001_broken', sql: 'CREATE TABLE half (id INT); SELECT * FROM missing_table;' },
      ]),
      /migration 0001_broken failed: .*missing_table/,
    );
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half'`.execute(database.db);
    assert.equal(rows[0]!.n, 0, 'no half-applied migration');
  });
});

test('replicas starting together on one PostgreSQL apply each migration exactly once', async () => {
  const server = await sharedPostgres();
  const url = await server.createDatabase('race');
  const replicas = await Promise.all(
    Array.from({ length: 4 }, () => openDatabase({ kind: 'postgres', url, poolMax: 2 }, createLogger('silent'))),
  );
  try {
    const results = await Promise.all(replicas.map((r) => migrate(r)));
    const all = (await readMigrations()).map((m) => m.version);
    assert.deepEqual(
      results.flat().sort((a, b) => a - b),
      all,
      'each migration applied by exactly one replica',
    );
    const rows = await replicas[0]!.db.selectFrom('schema_migrations').selectAll().execute();
    assert.equal(rows.length, all.length);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
  }
});
