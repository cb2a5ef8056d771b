import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { InProcessTunnels } from '@streamspace/protocol';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from './config/config.js';
import { resolveSecrets, type Secrets } from './config/secrets.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate, migrationsApplied, readMigrations } from './db/migrate.js';
import { flushHeartbeats } from './db/queries/agents.js';
import { bootstrapAdmin, type AdminBootstrap } from './auth/admin-bootstrap.js';
import { TokenService } from './auth/tokens.js';
import { LoginLimiter, type LoginLimits } from './auth/login-limiter.js';
import { makeAuthenticate } from './auth/authenticate.js';
import { PasswordGate } from './auth/password-gate.js';
import { UserAccess } from './auth/user-access.js';
import { MfaService } from './auth/mfa-service.js';
import { TotpSecretBox } from './auth/totp-secret-box.js';
import { signInMethods } from './auth/sign-in-methods.js';
import { ApiTokenAuth } from './auth/api-token-auth.js';
import { CommandDispatcher } from './dispatcher/command-dispatcher.js';
import { Scheduler } from './scheduler/scheduler.js';
import { SessionService } from './sessions/session-service.js';
import { AgentHub, refuseUpgrade } from './hub/agent-hub.js';
import { AgentMessageHandler } from './hub/agent-message-handler.js';
import { Metrics } from './metrics/metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { Maintenance } from './maintenance.js';
import { WarmPoolReconciler } from './warm-pools/warm-pool-reconciler.js';
import { PoolTakeover } from './pools/pool-takeover.js';
import { addTunnelToken, deriveTunnelKey } from './vnc/tunnel-token.js';
import { defaultReplicaUrl } from './config/replica-url.js';
import { VncProxy } from './vnc/vnc-proxy.js';
import { FileStreams } from './files/file-streams.js';
import { addFileStreamToken } from './files/file-stream-token.js';
import { IdlePolicy, activityWriteMs } from './sessions/idle-policy.js';
import { buildApp } from './api/build-app.js';
import { EventStreamSlots } from './api/event-stream-slots.js';
import { clientAddress } from './api/client-address.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

export interface ControlPlane {
  readonly config: ControlPlaneConfig;
  readonly url: string;
  readonly port: number;
  /** The port /metrics is served on (METRICS_PORT, or the one picked for 0). */
  readonly metricsPort: number;
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly hub: AgentHub;
  readonly vnc: VncProxy;
  /** For an agent started in this process (`streamspace up`): its VNC streams take one hop. */
  readonly inProcessTunnels: InProcessTunnels;
  /** The rest of what an agent in this process starts with (its loadAgentConfig allInOne defaults). */
  readonly inProcessAgent: InProcessAgentDefaults;
  readonly secrets: Secrets;
  readonly admin: AdminBootstrap;
  readonly logger: Logger;
  stop(): Promise<void>;
}

export interface InProcessAgentDefaults {
  /** Loopback, whatever HOST is. */
  controlPlaneUrl: string;
  /** It enrolls with the join token like any other agent... */
  agentToken: string;
  /** ...and keeps its own credential beside the database. */
  credentialFile: string;
  /** Three heartbeats in each AGENT_HEARTBEAT_TIMEOUT. */
  heartbeatIntervalMs: number;
}

export interface StartOptions {
  logger?: Logger;
  /** An already open database (tests share in-memory PGlite instances). */
  database?: Database;
  loginLimits?: Partial<LoginLimits>;
  /** How long a user's row is cached (tests shorten the revocation bound). */
  userCacheTtlMs?: number;
  /** How often old rows are pruned (tests shorten it). */
  pruneIntervalMs?: number;
  /** How long a live-update stream's row counts unrefreshed (tests shorten a dead replica's bound). */
  eventStreamLiveMs?: number;
  /** The clock TOTP codes are checked against, in ms (tests step it by whole 30 s periods). */
  mfaClock?: () => number;
}

/**
 * Wires config → logger → database → services → hub → routes and starts listening. Nothing here
 * decides anything; each part is built from its own module.
 */
export async function startControlPlane(config: ControlPlaneConfig, options: StartOptions = {}): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const secrets = await resolveSecrets(config);
  const database = options.database ?? (await openDatabase(config.database, logger));
  const migrations = await readMigrations();
  try {
    const applied = await migrate(database, migrations);
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  } catch (error) {
    if (!options.database) await database.close().catch(() => undefined);
    throw error;
  }
  const db = database.db;
  const passwords = new PasswordGate();
  const admin = await bootstrapAdmin(
    db,
    { username: config.adminUsername, password: config.adminPassword, dataDir: config.dataDir },
    logger.child({ component: 'auth' }),
  );

  const metrics = new Metrics(database);
  const tunnelKey = deriveTunnelKey(secrets.jwtSecret);
  const tokens = new TokenService(secrets.jwtSecret, config.jwtExpiryMs);
  const access = new UserAccess(db, logger.child({ component: 'auth' }), options.userCacheTtlMs);
  await access.start(database);
  const apiTokens = new ApiTokenAuth(db, access, logger.child({ component: 'auth' }), options.userCacheTtlMs);
  await apiTokens.start(database);
  const dispatcher = new CommandDispatcher(db);
  const scheduler = new Scheduler(db, dispatcher, logger.child({ component: 'scheduler' }));
  const warmPools = new WarmPoolReconciler({
    db,
    scheduler,
    dispatcher,
    logger: logger.child({ component: 'warm_pools' }),
  });
  const sessions = new SessionService(
    db,
    scheduler,
    dispatcher,
    logger.child({ component: 'sessions' }),
    { userMaxSessions: config.userMaxSessions },
    warmPools,
  );
  const addressOf = clientAddress(config.trustProxy);
  const hub = new AgentHub({
    database,
    agentToken: secrets.agentToken,
    replicaId: config.replicaId,
    logger,
    metrics,
    // Each adds its token to its own command type and passes the others through.
    completePayload: (type, payload, agentUuid) =>
      addFileStreamToken(tunnelKey)(type, addTunnelToken(tunnelKey)(type, payload, agentUuid), agentUuid),
    clientAddress: addressOf,
  });
  hub.setHandler(
    new AgentMessageHandler({
      db,
      hub,
      sessions,
      scheduler,
      dispatcher,
      metrics,
      logger: logger.child({ component: 'hub' }),
      replicaId: config.replicaId,
      heartbeatTimeoutMs: config.agentHeartbeatTimeoutMs,
    }),
  );
  await hub.start();

  const fileStreams = new FileStreams({
    db,
    dispatcher,
    logger: logger.child({ component: 'file_streams' }),
    tunnelSecret: tunnelKey,
    replicaId: config.replicaId,
  });
  const app = await buildApp(
    {
      database,
      db,
      tokens,
      limiter: new LoginLimiter(db, options.loginLimits),
      passwords,
      access,
      mfa: new MfaService({
        db,
        box: new TotpSecretBox(secrets.jwtSecret),
        required: config.mfaRequired,
        now: options.mfaClock,
      }),
      signIn: signInMethods(config, secrets.jwtSecret, db, access, logger.child({ component: 'oidc' })),
      apiTokens: { auth: apiTokens, maxLifetimeMs: config.apiTokenMaxLifetimeMs },
      shares: {
        maxLifetimeMs: config.shareMaxLifetimeMs,
        publicUrl: config.publicUrlSet ? config.publicUrl : undefined,
      },
      eventStreams: new EventStreamSlots({
        db,
        replicaId: config.replicaId,
        limit: config.userMaxEventStreams,
        liveMs: options.eventStreamLiveMs,
      }),
      sessions,
      warmPools,
      files: { streams: fileStreams, uploadMaxBytes: config.sessionUploadMaxBytes },
      metrics,
      authenticate: makeAuthenticate(tokens, access, { mfaRequired: config.mfaRequired, apiTokens }),
      isMigrated: () => migrationsApplied(database, migrations.length),
    },
    logger,
    VERSION,
    config.publicUrl,
    { trustProxy: config.trustProxy },
  );
  const vnc = new VncProxy({
    db,
    hub,
    dispatcher,
    metrics,
    logger: logger.child({ component: 'vnc_proxy' }),
    publicUrl: config.publicUrl,
    idleTimeoutMs: config.vncProxyTimeoutMs,
    tunnelSecret: tunnelKey,
    replicaId: config.replicaId,
    access,
    clientAddress: addressOf,
    activityWriteMs: activityWriteMs(config.sessionIdleTimeoutMs),
  });
  await vnc.start(database);
  app.server.on('upgrade', (request, socket, head) => {
    if (
      !hub.handleUpgrade(request, socket, head) &&
      !vnc.handleUpgrade(request, socket, head) &&
      !fileStreams.handleUpgrade(request, socket, head)
    ) {
      refuseUpgrade(
        socket,
        404,
        `no WebSocket endpoint at ${request.url}; agents connect to /agent/ws, viewers to /vnc/{id}`,
      );
    }
  });

  const maintenance = new Maintenance({
    db,
    hub,
    sessions,
    scheduler,
    takeover: new PoolTakeover(db, dispatcher, logger.child({ component: 'pools' }), config.agentHeartbeatTimeoutMs),
    metrics,
    logger: logger.child({ component: 'maintenance' }),
    heartbeatTimeoutMs: config.agentHeartbeatTimeoutMs,
    sessionStartTimeoutMs: config.sessionStartTimeoutMs,
    pruneIntervalMs: options.pruneIntervalMs,
    auditRetentionMs: config.auditRetentionMs,
    warmPools,
    idlePolicy: new IdlePolicy({
      db,
      sessions,
      logger: logger.child({ component: 'idle' }),
      idleTimeoutMs: config.sessionIdleTimeoutMs,
      maxLifetimeMs: config.sessionMaxLifetimeMs,
    }),
  });
  maintenance.start();

  await app.listen({ port: config.port, host: config.host });
  const metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort, logger).catch(
    async (error: unknown) => {
      await app.close();
      throw new Error(
        `METRICS_PORT: cannot listen on ${config.host}:${config.metricsPort}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    },
  );
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  vnc.setReplicaUrl(config.replicaUrl ?? defaultReplicaUrl(config.host, port));
  fileStreams.setReplicaUrl(config.replicaUrl ?? defaultReplicaUrl(config.host, port));
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;

  let stopping: Promise<void> | undefined;
  return {
    config,
    url,
    port,
    metricsPort: metricsServer.port,
    app,
    database,
    hub,
    vnc,
    inProcessTunnels: { join: (tunnel) => vnc.joinInProcess(tunnel) },
    inProcessAgent: {
      controlPlaneUrl: `ws://127.0.0.1:${port}/agent/ws`,
      agentToken: secrets.agentToken,
      credentialFile: join(config.dataDir, 'agent-credential'),
      heartbeatIntervalMs: Math.floor(config.agentHeartbeatTimeoutMs / 3),
    },
    secrets,
    admin,
    logger,
    stop() {
      stopping ??= (async () => {
        await maintenance.stop();
        await warmPools.stop();
        vnc.stop();
        fileStreams.stop();
        await hub.stop();
        await app.close();
        await access.stop();
        await apiTokens.stop();
        await new Promise((resolve) => metricsServer.server.close(resolve));
        // Buffered heartbeats would otherwise be lost with the process.
        await hub.heartbeats.flush((rows) => flushHeartbeats(db, rows)).catch(() => undefined);
        if (!options.database) await database.close();
      })();
      return stopping;
    },
  };
}
