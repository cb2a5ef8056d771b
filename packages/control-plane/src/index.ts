export {
  loadConfig,
  configurationTable,
  SETTINGS,
  type ControlPlaneConfig,
  type ConfigResult,
} from './config/config.js';
export { parseDuration, formatDuration } from '@streamspace/protocol';
export { startControlPlane, type ControlPlane, type InProcessAgentDefaults, type StartOptions } from './server.js';
export { createLogger, type Logger } from './logger.js';
export { openDatabase, fromPGlite, type Database } from './db/database.js';
export { migrate, readMigrations } from './db/migrate.js';
export { TokenService } from './auth/tokens.js';
export { VERSION } from './version.js';
export { WEB_DIST } from './api/web-ui.js';
export { deriveTunnelKey, tunnelToken } from './vnc/tunnel-token.js';
export { type AuditRow } from './db/queries/audit.js';
export { closeViewers, type ViewerCloseRequest } from './vnc/viewer-close.js';
