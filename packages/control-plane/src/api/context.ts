import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Database } from '../db/database.js';
import type { TokenService } from '../auth/tokens.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { PasswordGate } from '../auth/password-gate.js';
import type { UserAccess } from '../auth/user-access.js';
import type { MfaService } from '../auth/mfa-service.js';
import type { SignInMethods } from '../auth/local-login.js';
import type { ApiTokenAuth } from '../auth/api-token-auth.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { EventStreamSlots } from './event-stream-slots.js';
import type { FileStreams } from '../files/file-streams.js';

/** What route modules need, handed over by server.ts (no module reaches for globals). */
export interface ApiContext {
  database: Database;
  db: Kysely<Schema>;
  tokens: TokenService;
  limiter: LoginLimiter;
  /** argon2 work, a few at a time. */
  passwords: PasswordGate;
  /** Logins checked against the users' current rows. */
  access: UserAccess;
  /** TOTP two-factor: enrollment, codes, the login's second step; MFA_REQUIRED. */
  mfa: MfaService;
  /** Password login on or off, and single sign-on when configured. */
  signIn: SignInMethods;
  /** Personal API tokens, and the longest lifetime one may be created with (API_TOKEN_MAX_LIFETIME). */
  apiTokens: { auth: ApiTokenAuth; maxLifetimeMs: number };
  /** Session shares: the longest one may live (SHARE_MAX_LIFETIME), and PUBLIC_URL when it is set
   * (share links are built on it; without it, on the address the request came to). */
  shares: { maxLifetimeMs: number; publicUrl: string | undefined };
  /** Live-update stream slots per user, counted across replicas. */
  eventStreams: EventStreamSlots;
  sessions: SessionService;
  /** Asked for a pass when a template's pool settings change, so the pool follows at once. */
  warmPools?: { kick(): void };
  /** File streams to the sessions' agents, and SESSION_UPLOAD_MAX in bytes. */
  files: { streams: FileStreams; uploadMaxBytes: number };
  metrics: Metrics;
  authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** True once migrations are applied; /ready reports it. */
  isMigrated: () => Promise<boolean>;
}
