import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import * as client from 'openid-client';
import type { Schema, User } from '../db/schema.js';
import type { OidcConfig } from '../config/oidc-settings.js';
import { recordAudit } from '../db/queries/audit.js';
import { insertLoginCode, takeLoginCode } from '../db/queries/oidc-login-codes.js';
import { findUserById } from '../db/queries/users.js';
import { OidcProviderClient } from './oidc-client.js';
import { claimAt, decideFromClaims } from './oidc-claims.js';
import { signInAccount } from './oidc-accounts.js';
import { OidcLoginError, describeProviderError } from './oidc-errors.js';
import type { LoginState, OidcSealer } from './oidc-sealer.js';

/** A sign-in at the provider may take this long (typing a password, a second factor). */
export const LOGIN_STATE_TTL_S = 600;
/** The UI redeems the hand-over code right after the redirect; a minute is plenty. */
export const LOGIN_CODE_TTL_S = 60;

/** UI routes a sign-in may return to: hash paths of this app only, never another site. */
const RETURN_TO = /^\/[A-Za-z0-9/_.-]{0,200}$/;
export const safeReturnTo = (value: unknown) => (typeof value === 'string' && RETURN_TO.test(value) ? value : '/');

/**
 * Single sign-on from the first redirect to the login token. Everything that must survive between
 * requests lives in a sealed cookie (state, nonce, PKCE verifier, return route) or the database (the
 * one-time hand-over code), so each step may land on any replica. Every outcome is logged for the
 * operator (no secrets: no codes, tokens or the client secret) and audited.
 */
export class OidcLogin {
  readonly client: OidcProviderClient;

  constructor(
    private readonly deps: {
      db: Kysely<Schema>;
      settings: OidcConfig;
      sealer: OidcSealer;
      logger: Logger;
      /** A user's role or tokens changed: replicas' caches drop the row. */
      onUserChanged: (userId: string) => void;
    },
  ) {
    this.client = new OidcProviderClient(deps.settings);
  }

  /** Seals this sign-in's cookies (state, result). */
  get sealer(): OidcSealer {
    return this.deps.sealer;
  }

  get label() {
    return this.deps.settings.buttonLabel;
  }

  get issuer() {
    return this.deps.settings.issuerUrl;
  }

  /** The provider's authorization URL and the sealed state the browser keeps until the callback. */
  async start(returnTo: string, ip: string): Promise<{ redirect: URL; sealedState: string }> {
    const state: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnTo(returnTo),
    };
    try {
      const redirect = await this.client.authorizationUrl(state);
      return { redirect, sealedState: await this.deps.sealer.seal('login-state', state, LOGIN_STATE_TTL_S) };
    } catch (error) {
      throw await this.#failed(describeProviderError(error, 'discovery', this.issuer), ip);
    }
  }

  /**
   * Finishes the sign-in the provider redirected back with (`query`), checked against the sealed
   * state this browser carries. Returns the one-time code the UI redeems for a login token.
   */
  async finish(query: URLSearchParams, sealedState: string | undefined, ip: string): Promise<string> {
    try {
      const state = await this.deps.sealer.open('login-state', sealedState);
      if (!state) {
        throw new OidcLoginError(
          'no sign-in in progress',
          'This browser has no single sign-on in progress: it took longer than 10 minutes, was started in another browser or at another address than the one StreamSpace is configured with (PUBLIC_URL), or this answer was used already. Start the sign-in again.',
        );
      }
      // Checked here as well as by openid-client, for a message that says what happened.
      if (query.get('state') !== state.state) {
        throw new OidcLoginError(
          'state mismatch',
          'The answer from the identity provider does not belong to the sign-in this browser started (state mismatch): it may be forged or replayed. Start the sign-in again.',
        );
      }
      const claims = await this.client.finish(query.toString(), state);
      const decision = decideFromClaims(claims, this.deps.settings);
      const named = claimAt(claims, this.deps.settings.usernameClaim);
      const username = typeof named === 'string' ? named.slice(0, 64) : undefined;
      if (!decision.ok) throw new OidcLoginError(decision.reason, decision.message, { username });
      const user = await signInAccount(
        this.deps.db,
        { issuer: this.issuer, profile: decision.profile, role: decision.role, ip },
        this.deps.onUserChanged,
      );
      const code = randomBytes(32).toString('base64url');
      await insertLoginCode(this.deps.db, code, {
        userId: user.id,
        returnTo: state.returnTo,
        ttlMs: LOGIN_CODE_TTL_S * 1000,
      });
      await recordAudit(this.deps.db, {
        actorUserId: user.id,
        actor: user.username,
        action: 'auth.login',
        targetType: 'user',
        targetId: user.id,
        details: { method: 'oidc', issuer: this.issuer },
        ip,
      });
      this.deps.logger.info({ username: user.username, userId: user.id, ip }, 'single sign-on succeeded');
      return code;
    } catch (error) {
      if (!(error instanceof OidcLoginError)) throw error;
      throw await this.#failed(error, ip);
    }
  }

  /** The user a hand-over code was made for, once; undefined when it is unknown, used or expired. */
  async redeem(code: string): Promise<{ user: User; returnTo: string } | undefined> {
    const taken = await takeLoginCode(this.deps.db, code);
    if (!taken) return undefined;
    const user = await findUserById(this.deps.db, taken.userId);
    // Disabled in the minute since the callback: no token.
    if (!user || user.disabled) return undefined;
    return { user, returnTo: taken.returnTo };
  }

  async #failed(error: OidcLoginError, ip: string): Promise<OidcLoginError> {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    this.deps.logger.warn(
      { reason: error.reason, username: error.username, issuer: this.issuer, ip, cause },
      `single sign-on failed: ${error.reason}`,
    );
    await recordAudit(this.deps.db, {
      actorUserId: null,
      actor: error.username ?? 'oidc',
      action: 'auth.login_failed',
      targetType: 'user',
      targetId: null,
      details: { method: 'oidc', issuer: this.issuer, reason: error.reason },
      ip,
    });
    return error;
  }
}
