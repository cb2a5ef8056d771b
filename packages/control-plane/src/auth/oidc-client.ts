import * as client from 'openid-client';
import type { OidcConfig } from '../config/oidc-settings.js';
import { describeProviderError, OidcLoginError } from './oidc-errors.js';

/** Provider metadata is read again after this long, so a changed endpoint is picked up without a restart. */
const DISCOVERY_TTL_MS = 3_600_000;
/** How long one request to the provider may take before the user is told it is unreachable. */
const REQUEST_TIMEOUT_S = 10;

export interface LoginChecks {
  state: string;
  nonce: string;
  verifier: string;
}

/**
 * The relying party's side of the authorization code flow (openid-client): discovery, the
 * authorization URL with PKCE (S256), state and nonce, and the code exchange with the ID token's
 * checks. Discovery is lazy and retried on the next sign-in after a failure: a provider that is
 * down when the control plane starts must not stop it from starting, and must not be remembered as down.
 */
export class OidcProviderClient {
  #discovered: { at: number; config: Promise<client.Configuration> } | undefined;

  constructor(private readonly settings: OidcConfig) {}

  get issuer() {
    return this.settings.issuerUrl;
  }

  async #configuration(): Promise<client.Configuration> {
    if (!this.#discovered || Date.now() - this.#discovered.at > DISCOVERY_TTL_MS) {
      const { issuerUrl, clientId, clientSecret } = this.settings;
      const config = client.discovery(
        new URL(issuerUrl),
        clientId,
        { client_secret: clientSecret },
        client.ClientSecretBasic(clientSecret),
        {
          timeout: REQUEST_TIMEOUT_S,
          // An http issuer is the operator's explicit choice (a lab or a test provider on loopback);
          // openid-client refuses it unless told.
          execute: new URL(issuerUrl).protocol === 'http:' ? [client.allowInsecureRequests] : [],
        },
      );
      const entry = { at: Date.now(), config };
      this.#discovered = entry;
      config.catch(() => {
        if (this.#discovered === entry) this.#discovered = undefined;
      });
    }
    try {
      return await this.#discovered.config;
    } catch (error) {
      throw describeProviderError(error, 'discovery', this.settings.issuerUrl);
    }
  }

  /** Where to send the browser to sign in. */
  async authorizationUrl(checks: LoginChecks): Promise<URL> {
    const config = await this.#configuration();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Redeems the callback's code and returns the user's claims: the ID token's, completed by the
   * userinfo endpoint's (many providers put profile and group claims only there). `query` is the
   * callback's query string; the redirect URI is PUBLIC_URL's, not the request's host, because a
   * proxy in front may have changed it and the provider compares it exactly.
   */
  async finish(query: string, checks: LoginChecks): Promise<Record<string, unknown>> {
    const config = await this.#configuration();
    const callbackUrl = new URL(this.settings.redirectUri);
    callbackUrl.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw describeProviderError(error, 'token', this.settings.issuerUrl);
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new OidcLoginError('no id token', 'The identity provider sent no ID token; sign-in failed.');
    const claims: Record<string, unknown> = { ...idClaims };
    if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        for (const [name, value] of Object.entries(info)) if (!(name in claims)) claims[name] = value;
      } catch (error) {
        throw describeProviderError(error, 'userinfo', this.settings.issuerUrl);
      }
    }
    return claims;
  }
}
