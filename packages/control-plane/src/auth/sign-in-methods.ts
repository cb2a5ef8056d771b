import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from '../config/config.js';
import type { Schema } from '../db/schema.js';
import type { SignInMethods } from './local-login.js';
import { OidcLogin } from './oidc-login.js';
import { OidcSealer } from './oidc-sealer.js';
import type { UserAccess } from './user-access.js';

/** The ways of signing in the configuration turns on: passwords (LOCAL_LOGIN) and OIDC_*. */
export function signInMethods(
  config: ControlPlaneConfig,
  jwtSecret: string,
  db: Kysely<Schema>,
  access: UserAccess,
  logger: Logger,
): SignInMethods {
  if (config.oidc) {
    logger.info(
      { issuer: config.oidc.issuerUrl, clientId: config.oidc.clientId, redirectUri: config.oidc.redirectUri },
      'single sign-on on; the redirect URI must be registered at the identity provider',
    );
  }
  return {
    localLogin: config.localLogin,
    breakGlassUsername: config.adminUsername,
    oidc: config.oidc
      ? new OidcLogin({
          db,
          settings: config.oidc,
          sealer: new OidcSealer(jwtSecret),
          logger,
          onUserChanged: (userId) => access.changed(userId),
        })
      : undefined,
  };
}
