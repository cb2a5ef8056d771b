import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { SessionStateName } from '@streamspace/protocol';

// Kysely's view of the tables in migrations/. Timestamps are written by the database (defaults and
// NOW()), so they are optional on insert.
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, T | string, T | string>;

export interface UsersTable {
  id: Generated<string>;
  username: string;
  email: string | null;
  display_name: string | null;
  /** Null for users of single sign-on: they have no local password (migration 0013). */
  password_hash: string | null;
  role: 'admin' | 'user';
  disabled: Generated<boolean>;
  /** In every login token; bumping it revokes all tokens issued before (migration 0009). */
  token_version: Generated<number>;
  /** Overrides USER_MAX_SESSIONS for this user; null: the default. */
  max_sessions: number | null;
  /** argon2 hash of the ADMIN_PASSWORD last applied to this row (bootstrap admin only). */
  admin_password_applied: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface TemplatesTable {
  id: Generated<string>;
  name: string;
  display_name: string;
  description: Generated<string>;
  image: string;
  vnc_port: Generated<number>;
  cpu_limit: Generated<number>;
  memory_limit_mb: Generated<number>;
  env: Json<Record<string, string>>;
  persistent_home: Generated<boolean>;
  platform: Generated<'any' | 'docker' | 'kubernetes'>;
  /** Overrides of SESSION_IDLE_TIMEOUT / SESSION_MAX_LIFETIME in seconds; null = the setting, 0 = off (0018). */
  idle_timeout_s: ColumnType<number | null, number | null | undefined, number | null>;
  max_lifetime_s: ColumnType<number | null, number | null | undefined, number | null>;
  /** A bundled icon's name or an https URL; null = the generic icon (0019). */
  icon: ColumnType<string | null, string | null | undefined, string | null>;
  category: Generated<string>;
  tags: Json<string[]>;
  /** Sessions kept started ahead for users to claim; 0 = none (migration 0021). */
  warm_pool: Generated<number>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface AgentCapacityJson {
  max_sessions: number;
  max_cpu: number;
  max_memory_gb: number;
}
export interface AgentUsageJson {
  sessions: number;
  cpu: number;
  memory_gb: number;
}

export interface AgentsTable {
  id: Generated<string>;
  agent_id: string;
  platform: string;
  region: string | null;
  status: 'online' | 'offline';
  capacity: Json<AgentCapacityJson> | null;
  metadata: Json<Record<string, unknown>> | null;
  websocket_conn_id: string | null;
  replica_id: string | null;
  used: Json<AgentUsageJson> | null;
  status_reason: string | null;
  last_heartbeat: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** Agents naming the same pool take over each other's sessions; null is a pool of its own. */
  pool: string | null;
  /** SHA-256 (hex) of the agent's own credential; null until the agent id is enrolled. */
  credential_hash: string | null;
  enrolled_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  enrolled_from: string | null;
  /** The address the agent's latest control connection came from. */
  last_address: string | null;
  revoked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  revoked_by: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  template_id: string | null;
  template_name: string;
  state: SessionStateName;
  state_reason: string | null;
  progress: Json<Record<string, unknown>> | null;
  region: string | null;
  agent_id: string | null;
  platform: string | null;
  platform_metadata: Json<Record<string, unknown>> | null;
  state_changed_at: CreatedAt;
  created_at: CreatedAt;
  updated_at: CreatedAt;
  /** Input (key or pointer) last seen from a viewer; written at most once a minute (migration 0017). */
  last_activity_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** When the session's last viewer left (migration 0017). */
  last_viewer_left_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Started for a template's warm pool and not claimed yet; owned by WARM_POOL_OWNER_ID (0021). */
  warm_pool: Generated<boolean>;
  /** The fingerprint of the template a pool session was started from (warm-pools/warm-spec.ts). */
  warm_spec: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A pool's failed starts, so the next one waits (migration 0021). */
/** The idle deadline a session's viewers were last warned about (migration 0022). */
export interface IdleWarningsTable {
  session_id: string;
  deadline: ColumnType<Date, Date | string, Date | string>;
}

export interface WarmPoolFailuresTable {
  template_id: string;
  failures: number;
  retry_at: ColumnType<Date, Date | string, Date | string>;
  last_error: string;
  updated_at: CreatedAt;
}

export type CommandStatus = 'pending' | 'sent' | 'acked' | 'completed' | 'failed' | 'cancelled';

export interface AgentCommandsTable {
  id: Generated<string>;
  agent_id: string | null;
  session_id: string | null;
  command_type: string;
  command_data: Json<Record<string, unknown>> | null;
  status: Generated<CommandStatus>;
  result: Json<Record<string, unknown>> | null;
  attempts: Generated<number>;
  created_at: CreatedAt;
  sent_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  acked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  completed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: CreatedAt;
  actor_user_id: string | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Json<Record<string, unknown>>;
  ip: string | null;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  window_started_at: ColumnType<Date, Date | string, Date | string>;
  blocked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface VncTicketsTable {
  ticket_hash: string;
  session_id: string;
  user_id: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** The minting login's token version and expiry: the stream ends with that login. */
  token_version: Generated<number>;
  token_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The mode the proxy holds the stream to: 'view' drops input (migration 0017). */
  mode: Generated<ViewerMode>;
  /** The share a guest redeemed; null for the owner's own tickets. */
  share_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export type ViewerMode = 'control' | 'view';

/** One connected VNC viewer, on whichever replica holds it (migration 0017). */
export interface VncViewersTable {
  id: string;
  session_id: string;
  user_id: string;
  username: string;
  share_id: string | null;
  mode: ViewerMode;
  replica_id: string;
  connected_at: CreatedAt;
  refreshed_at: CreatedAt;
}

/** A link to a session's desktop (migration 0018); only the token's hash is kept. */
/** Single-use download links (migration 0020): a browser navigates to one and streams to disk. */
export interface FileDownloadTicketsTable {
  ticket_hash: string;
  session_id: string;
  user_id: string;
  path: string;
  /** The control share the guest came through; null for the owner's and admins' own links. */
  share_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The minting login: a logout or a disabled account ends its links too. */
  token_version: number;
  token_expires_at: ColumnType<Date, Date | string, Date | string>;
  /** Set when minted with an API token (its SHA-256): revoking the token ends its links. */
  api_token_hash: ColumnType<string | null, string | null | undefined, string | null>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
}

export interface SessionSharesTable {
  id: Generated<string>;
  session_id: string;
  token_hash: string;
  mode: 'view' | 'control';
  /** The one user the link is for; null: anyone signed in who holds it. */
  user_id: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface VncTunnelsTable {
  id: string;
  session_id: string;
  replica_id: string;
  replica_url: string;
  created_at: CreatedAt;
}

export interface EventStreamsTable {
  id: string;
  user_id: string;
  replica_id: string;
  opened_at: CreatedAt;
  seen_at: CreatedAt;
}

/** A user's TOTP enrollment (migration 0014); enabled_at null: waiting for the confirming code. */
export interface UserTotpTable {
  user_id: string;
  /** AES-256-GCM ciphertext of the base32 secret (auth/totp-secret-box.ts). */
  secret_encrypted: string;
  enabled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** RFC 6238 time step of the last accepted code; only later steps are accepted. */
  last_used_step: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
}

export interface MfaRecoveryCodesTable {
  user_id: string;
  /** SHA-256 (hex) of the normalised code. */
  code_hash: string;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
}

/** The pending second step of a login (migration 0014). */
export interface MfaChallengesTable {
  /** SHA-256 (hex) of the mfa_token handed to the client. */
  token_hash: string;
  user_id: string;
  token_version: number;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
}

/** Links a single sign-on identity (issuer, subject) to its StreamSpace user (migration 0013). */
export interface UserIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: CreatedAt;
  last_login_at: CreatedAt;
}

/** One-time codes handing a finished single sign-on to the UI (migration 0013). */
export interface OidcLoginCodesTable {
  code_hash: string;
  user_id: string;
  return_to: string | null;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: CreatedAt;
}

/** Personal API tokens (migration 0015): only the SHA-256 of each token is stored. */
export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  /** SHA-256 of the whole token, hex. */
  token_hash: string;
  /** The token's first characters (`ssp_` and four more), to tell tokens apart in lists. */
  hint: string;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_used_from: string | null;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Who revoked it (a username), or why ('account disabled'). */
  revoked_by: string | null;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: CreatedAt;
}

export interface Schema {
  users: UsersTable;
  templates: TemplatesTable;
  agents: AgentsTable;
  sessions: SessionsTable;
  agent_commands: AgentCommandsTable;
  audit_log: AuditLogTable;
  login_failures: LoginFailuresTable;
  vnc_tickets: VncTicketsTable;
  vnc_tunnels: VncTunnelsTable;
  vnc_viewers: VncViewersTable;
  session_shares: SessionSharesTable;
  file_download_tickets: FileDownloadTicketsTable;
  event_streams: EventStreamsTable;
  user_totp: UserTotpTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  user_identities: UserIdentitiesTable;
  oidc_login_codes: OidcLoginCodesTable;
  schema_migrations: SchemaMigrationsTable;
  api_tokens: ApiTokensTable;
  warm_pool_failures: WarmPoolFailuresTable;
  idle_warnings: IdleWarningsTable;
}

export type User = Selectable<UsersTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type Template = Selectable<TemplatesTable>;
export type SessionShare = Selectable<SessionSharesTable>;
export type NewTemplate = Insertable<TemplatesTable>;
export type TemplateUpdate = Updateable<TemplatesTable>;
export type Agent = Selectable<AgentsTable>;
export type Session = Selectable<SessionsTable>;
export type AgentCommand = Selectable<AgentCommandsTable>;
