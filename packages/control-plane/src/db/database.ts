import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/config.js';
import type { Schema } from './schema.js';
import { PGlitePool } from './pglite-pool.js';
import { PgListener } from './pg-listener.js';

/** A single connection for work that must not hop connections: migrations under a session lock. */
export interface RawConnection {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Runs a script of several statements (a migration file). */
  exec(script: string): Promise<void>;
}

export type Unlisten = () => Promise<void>;

export interface Database {
  readonly kind: DatabaseConfig['kind'];
  readonly db: Kysely<Schema>;
  withConnection<T>(fn: (connection: RawConnection) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; `onReconnect` fires when a lost listener is back, since
   * notifications sent while it was away are gone. */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<Unlisten>;
  poolStats(): { total: number; idle: number; waiting: number } | undefined;
  /** Bytes the embedded engine's WebAssembly memory holds (PGlite); undefined for a PostgreSQL server.
   * It grows with the data and never shrinks, so it is reported apart from the process's own memory. */
  engineMemoryBytes(): number | undefined;
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig, logger: Logger): Promise<Database> {
  return config.kind === 'pglite' ? openPGlite(config.dataDir) : openPostgres(config.url, config.poolMax, logger);
}

async function openPGlite(dataDir: string): Promise<Database> {
  await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  return fromPGlite(pglite);
}

/** Wraps an already open PGlite (tests use in-memory instances). */
export function fromPGlite(pglite: PGlite): Database {
  const pool = new PGlitePool(pglite);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'pglite',
    db,
    async withConnection(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => ({ rows: (await pglite.query(text, params)).rows as never[] }),
          exec: async (script) => void (await pglite.exec(script)),
        });
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      const unsubscribe = await pglite.listen(channel, onPayload);
      return unsubscribe;
    },
    poolStats: () => undefined,
    engineMemoryBytes: () => pglite.Module.wasmMemory.buffer.byteLength,
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}

async function openPostgres(url: string, poolMax: number, logger: Logger): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 5000 });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it kills the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const listener = new PgListener(url, logger);
  return {
    kind: 'postgres',
    db,
    async withConnection(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => ({ rows: (await client.query(text, params)).rows }),
          // No parameters: pg uses the simple protocol, which accepts several statements.
          exec: async (script) => void (await client.query(script)),
        });
      } finally {
        client.release();
      }
    },
    listen: (channel, onPayload, onReconnect) => listener.subscribe(channel, onPayload, onReconnect),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    engineMemoryBytes: () => undefined,
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}
