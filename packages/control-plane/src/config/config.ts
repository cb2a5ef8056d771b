import { resolve } from 'node:path';
import {
  addressList,
  byteSize,
  defaultReplicaId,
  duration,
  durationOrOff,
  integer,
  lifetime,
  oneOf,
  optionalText,
  retention,
  text,
  url,
  type Setting,
} from './settings.js';
import { OIDC_SETTINGS, oidcConfig, type OidcConfig } from './oidc-settings.js';

import { MFA_REQUIRED_CHOICES, type MfaRequired } from '../auth/mfa-policy.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Every setting of the control plane. Nothing else in the control plane reads process.env. */
export const SETTINGS = {
  port: integer('PORT', 8080, 'HTTP port for the UI, API, agent hub and VNC proxy', 0, 65535),
  metricsPort: integer(
    'METRICS_PORT',
    9090,
    'Port of the Prometheus /metrics listener (on HOST), kept off the public PORT; 0 picks a free port',
    0,
    65535,
  ),
  host: text('HOST', '0.0.0.0', 'Interface to listen on'),
  publicUrl: url(
    'PUBLIC_URL',
    'URL users and agents reach this control plane at; printed at start',
    'http://localhost:PORT',
    ['http:', 'https:'],
  ),
  logLevel: oneOf('LOG_LEVEL', 'info', LOG_LEVELS, 'Log level'),
  dataDir: text(
    'STREAMSPACE_DATA_DIR',
    './data',
    'Directory for the embedded database and generated secrets (embedded mode)',
  ),
  databaseUrl: url(
    'DATABASE_URL',
    'PostgreSQL connection URL; when neither this nor DB_HOST is set, the embedded PGlite database is used',
    '(embedded)',
    ['postgres:', 'postgresql:'],
  ),
  dbHost: optionalText('DB_HOST', 'PostgreSQL host (alternative to DATABASE_URL)'),
  dbPort: integer('DB_PORT', 5432, 'PostgreSQL port', 1, 65535),
  dbName: text('DB_NAME', 'streamspace', 'PostgreSQL database name'),
  dbUser: optionalText('DB_USER', 'PostgreSQL user; required when DB_HOST is set'),
  dbPassword: optionalText('DB_PASSWORD', 'PostgreSQL password'),
  dbPoolMax: integer('DB_POOL_MAX', 10, 'Maximum PostgreSQL connections per replica', 1, 1000),
  jwtSecret: optionalText(
    'JWT_SECRET',
    'Secret that signs login tokens, 32+ characters; required with PostgreSQL (shared by all replicas)',
    'generated into the data dir (embedded mode)',
  ),
  jwtExpiry: duration('JWT_EXPIRY', 12 * 3_600_000, 'How long a login token stays valid', 60_000),
  apiTokenMaxLifetime: lifetime(
    'API_TOKEN_MAX_LIFETIME',
    365 * 86_400_000,
    'Longest lifetime a personal API token may be created with (tokens always expire; e.g. 90d, 12h)',
    60_000,
  ),
  shareMaxLifetime: lifetime(
    'SHARE_MAX_LIFETIME',
    7 * 86_400_000,
    'Longest lifetime a session share link may be created with (shares always expire; e.g. 8h, 2d)',
    60_000,
  ),
  sessionUploadMax: byteSize(
    'SESSION_UPLOAD_MAX',
    1024 ** 3,
    'Largest file one upload may put into a session (PUT /api/v1/sessions/{id}/files/content answers 413 above it; e.g. 500MiB, 5GiB)',
    1,
  ),
  adminUsername: text('ADMIN_USERNAME', 'admin', 'Name of the bootstrap administrator'),
  adminPassword: optionalText(
    'ADMIN_PASSWORD',
    'Administrator password; applied when the account is created and whenever this value changes (a password rotated or an account disabled in the UI stays so across restarts with the same value). When unset on first start a random one is written to admin-password in the data dir (mode 0600)',
    'generated on first start',
  ),
  userMaxSessions: integer(
    'USER_MAX_SESSIONS',
    5,
    'Sessions a user may hold at once (all but stopped, failed and deleted); admins can set another limit per user',
    0,
    10_000,
  ),
  userMaxEventStreams: integer(
    'USER_MAX_EVENT_STREAMS',
    5,
    'Live-update streams (GET /api/v1/sessions/events) a user may hold open, counted across all replicas',
    1,
    1_000,
  ),
  mfaRequired: oneOf(
    'MFA_REQUIRED',
    'none',
    MFA_REQUIRED_CHOICES,
    'Who must use two-factor authentication (TOTP): such users without it are sent to set it up at their next login and can do nothing else until they have',
  ),
  trustProxy: addressList(
    'TRUST_PROXY',
    "Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed, so login throttling and the audit log see the client's address (e.g. 10.0.0.0/8)",
  ),
  auditRetention: retention(
    'AUDIT_RETENTION',
    365,
    'How long audit log entries are kept (e.g. 90d, 365d); older ones are pruned every minute; 0 keeps them forever',
  ),
  agentToken: optionalText(
    'AGENT_TOKEN',
    'Join token: enrolls new agent ids, each then using its own credential (see Agent identity), 16+ characters; required with PostgreSQL',
    'generated into the data dir (embedded mode)',
  ),
  agentHeartbeatTimeout: duration(
    'AGENT_HEARTBEAT_TIMEOUT',
    30_000,
    'Heartbeat timeout before marking agent offline; agents heartbeat at a third of it',
    300,
  ),
  vncProxyTimeout: duration('VNC_PROXY_TIMEOUT', 5 * 60_000, 'VNC connection idle timeout (read by the VNC proxy)'),
  sessionStartTimeout: duration(
    'SESSION_START_TIMEOUT',
    5 * 60_000,
    'How long a session may stay pending, or starting without a progress report from its agent, before it becomes failed',
    100,
  ),
  sessionIdleTimeout: durationOrOff(
    'SESSION_IDLE_TIMEOUT',
    30 * 60_000,
    'A running session with no keyboard or pointer input from any viewer for this long is hibernated ("idle for 30m"); viewers are warned a minute before; 0 turns it off; a template\'s idle_timeout_s overrides it',
  ),
  sessionMaxLifetime: durationOrOff(
    'SESSION_MAX_LIFETIME',
    0,
    'A session this old (from creation) is stopped, running or hibernated ("reached its maximum lifetime of 8h"); 0 turns it off; a template\'s max_lifetime_s overrides it',
  ),
  replicaUrl: url(
    'REPLICA_URL',
    "URL the other replicas reach this one at: an agent's VNC tunnel may arrive at any replica and is relayed to the one holding the viewer (in Kubernetes, the pod IP)",
    'http://<first non-loopback IPv4>:PORT (http://HOST:PORT when HOST is an address)',
    ['http:', 'https:'],
  ),
  replicaId: optionalText(
    'REPLICA_ID',
    'Name of this control-plane replica, recorded on the agents it holds',
    'hostname plus a random suffix',
  ),
  ...OIDC_SETTINGS,
} satisfies Record<string, Setting<unknown>>;

type Values = { [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

export type DatabaseConfig = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolMax: number };

export interface ControlPlaneConfig {
  port: number;
  metricsPort: number;
  host: string;
  publicUrl: string;
  /** Whether PUBLIC_URL was given (publicUrl is otherwise a guess from PORT). */
  publicUrlSet: boolean;
  logLevel: Values['logLevel'];
  dataDir: string;
  database: DatabaseConfig;
  jwtSecret: string | undefined;
  jwtExpiryMs: number;
  apiTokenMaxLifetimeMs: number;
  shareMaxLifetimeMs: number;
  /** SESSION_UPLOAD_MAX in bytes. */
  sessionUploadMaxBytes: number;
  adminUsername: string;
  adminPassword: string | undefined;
  userMaxSessions: number;
  userMaxEventStreams: number;
  mfaRequired: MfaRequired;
  trustProxy: string[];
  /** 0: keep forever. */
  auditRetentionMs: number;
  agentToken: string | undefined;
  agentHeartbeatTimeoutMs: number;
  vncProxyTimeoutMs: number;
  sessionStartTimeoutMs: number;
  /** 0: off. */
  sessionIdleTimeoutMs: number;
  /** 0: off. */
  sessionMaxLifetimeMs: number;
  replicaId: string;
  /** Undefined: derived from HOST and the listening port once the server listens. */
  replicaUrl: string | undefined;
  /** Single sign-on; undefined when OIDC_ISSUER_URL is unset. */
  oidc: OidcConfig | undefined;
  /** False: password login only for the bootstrap administrator (LOCAL_LOGIN). */
  localLogin: boolean;
}

export type ConfigResult = { ok: true; config: ControlPlaneConfig } | { ok: false; problems: string[] };

/**
 * Reads the environment into a typed config. Every problem is one line `VARIABLE: what is wrong`,
 * all of them at once, so an operator fixes the deployment in one pass.
 */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const problems: string[] = [];
  const values = {} as Record<string, unknown>;
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    const parsed = setting.parse(env[setting.env]);
    if ('problem' in parsed) problems.push(`${setting.env}: ${parsed.problem}`);
    else values[key] = parsed.value;
  }
  if (problems.length > 0) return { ok: false, problems };
  const v = values as Values;

  let database: DatabaseConfig;
  if (v.databaseUrl && v.dbHost) {
    problems.push('DATABASE_URL: set either DATABASE_URL or DB_HOST, not both');
  }
  if (v.databaseUrl) {
    database = { kind: 'postgres', url: v.databaseUrl, poolMax: v.dbPoolMax };
  } else if (v.dbHost) {
    if (!v.dbUser) problems.push('DB_USER: required when DB_HOST is set');
    const auth = `${encodeURIComponent(v.dbUser ?? '')}${v.dbPassword ? `:${encodeURIComponent(v.dbPassword)}` : ''}`;
    database = {
      kind: 'postgres',
      url: `postgres://${auth}@${v.dbHost}:${v.dbPort}/${encodeURIComponent(v.dbName)}`,
      poolMax: v.dbPoolMax,
    };
  } else {
    database = { kind: 'pglite', dataDir: resolve(v.dataDir, 'pglite') };
  }

  if (v.jwtSecret !== undefined && v.jwtSecret.length < 32) {
    problems.push(`JWT_SECRET: must be at least 32 characters, got ${v.jwtSecret.length}`);
  }
  if (v.agentToken !== undefined && v.agentToken.length < 16) {
    problems.push(`AGENT_TOKEN: must be at least 16 characters, got ${v.agentToken.length}`);
  }
  if (database.kind === 'postgres') {
    // Replicas sharing one database must share these secrets; a generated one would differ per replica.
    if (v.jwtSecret === undefined) {
      problems.push('JWT_SECRET: required with PostgreSQL (32+ characters, e.g. `openssl rand -base64 32`)');
    }
    if (v.agentToken === undefined) {
      problems.push('AGENT_TOKEN: required with PostgreSQL (16+ characters, e.g. `openssl rand -hex 24`)');
    }
  }
  const publicUrl = v.publicUrl ?? `http://localhost:${v.port}`;
  const oidc = oidcConfig(v, publicUrl, problems);
  if (problems.length > 0) return { ok: false, problems };

  return {
    ok: true,
    config: {
      port: v.port,
      metricsPort: v.metricsPort,
      host: v.host,
      publicUrl,
      publicUrlSet: v.publicUrl !== undefined,
      logLevel: v.logLevel,
      dataDir: resolve(v.dataDir),
      database,
      jwtSecret: v.jwtSecret,
      jwtExpiryMs: v.jwtExpiry,
      apiTokenMaxLifetimeMs: v.apiTokenMaxLifetime,
      shareMaxLifetimeMs: v.shareMaxLifetime,
      sessionUploadMaxBytes: v.sessionUploadMax,
      adminUsername: v.adminUsername,
      adminPassword: v.adminPassword,
      userMaxSessions: v.userMaxSessions,
      userMaxEventStreams: v.userMaxEventStreams,
      mfaRequired: v.mfaRequired,
      trustProxy: v.trustProxy,
      auditRetentionMs: v.auditRetention,
      agentToken: v.agentToken,
      agentHeartbeatTimeoutMs: v.agentHeartbeatTimeout,
      vncProxyTimeoutMs: v.vncProxyTimeout,
      sessionStartTimeoutMs: v.sessionStartTimeout,
      sessionIdleTimeoutMs: v.sessionIdleTimeout,
      sessionMaxLifetimeMs: v.sessionMaxLifetime,
      replicaId: v.replicaId ?? defaultReplicaId(),
      replicaUrl: v.replicaUrl,
      oidc,
      localLogin: v.localLogin,
    },
  };
}

/** Rows of the README's configuration table, in declaration order. */
export function configurationTable(): string {
  const rows = Object.values(SETTINGS).map(
    (s: Setting<unknown>) =>
      `| \`${s.env}\` | ${s.defaultText.replaceAll('|', '\\|')} | ${s.description.replaceAll('|', '\\|')} |`,
  );
  return ['| Variable | Default | Description |', '|---|---|---|', ...rows].join('\n');
}
