import { SETTINGS } from '@streamspace/control-plane';

export const ADMIN_PASSWORD = 'bench-admin-password';
export const AGENT_TOKEN = 'bench-agent-token-0123456789';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123';

/**
 * The control plane's environment: a loopback port of its choosing, its data (embedded PGlite and
 * its log) in `dataDir`, known secrets so the bench can log in and connect agents. Every control-plane
 * variable inherited from the caller's shell is dropped first, so a stray DATABASE_URL or PORT never
 * changes what is measured; PostgreSQL is used only when BENCH_DATABASE_URL asks for it.
 * AGENT_HEARTBEAT_TIMEOUT is left at its default (30 s: agents heartbeat every 10 s).
 */
export function controlPlaneEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of Object.values(SETTINGS)) delete env[setting.env];
  return {
    ...env,
    PORT: '0',
    // A port of its own too: a bench may run two control planes, beside other programs.
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    STREAMSPACE_DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    AGENT_TOKEN,
    JWT_SECRET,
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  };
}
