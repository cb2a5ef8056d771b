import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** A person the test provider knows: the dev login form's "login" field is the key. */
export interface TestAccount {
  username?: string;
  name?: string;
  email?: string;
  groups?: string[];
}

export interface TestProviderOptions {
  /** Redirect URIs registered for the client (each control plane's PUBLIC_URL + the callback path). */
  redirectUris: string[];
  accounts?: Record<string, TestAccount>;
  clientId?: string;
  clientSecret?: string;
  /** Advertise this token endpoint instead of the real one (a dead address: the provider down at the code exchange). */
  tokenEndpoint?: string;
}

/**
 * A real, certified OpenID provider (`oidc-provider`) on a loopback port, with its development
 * login form (any login name, any password) and consent page. One confidential client is
 * registered; claims come from `accounts`: preferred_username, name, email, and `groups` under the
 * scope of the same name (so tests ask for it with OIDC_SCOPES, as Okta users do).
 */
export class TestOidcProvider {
  private constructor(
    readonly issuer: string,
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly server: Server,
  ) {}

  static async start(options: TestProviderOptions): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clientId = options.clientId ?? 'streamspace-test';
    const clientSecret = options.clientSecret ?? 'client-secret-for-tests-0123456789';
    const accounts = options.accounts ?? {};
    const configuration: Configuration = {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: options.redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      scopes: ['openid', 'profile', 'email', 'groups'],
      claims: {
        openid: ['sub'],
        profile: ['preferred_username', 'name'],
        email: ['email'],
        groups: ['groups'],
      },
      cookies: { keys: ['oidc-provider-cookie-key-for-tests'] },
      async findAccount(_ctx, id) {
        const account = accounts[id] ?? {};
        return {
          accountId: id,
          async claims() {
            return {
              sub: id,
              preferred_username: account.username ?? id,
              name: account.name ?? id,
              email: account.email ?? `${id}@example.test`,
              groups: account.groups ?? [],
            };
          },
        };
      },
    };
    const provider = new Provider(issuer, configuration);
    if (options.tokenEndpoint) {
      const tokenEndpoint = options.tokenEndpoint;
      provider.use(async (ctx, next) => {
        await next();
        if (ctx.path === '/.well-known/openid-configuration') ctx.body = { ...ctx.body, token_endpoint: tokenEndpoint };
      });
    }
    server.on('request', provider.callback());
    return new TestOidcProvider(issuer, clientId, clientSecret, server);
  }

  /** The control plane's OIDC settings for this provider. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      OIDC_ISSUER_URL: this.issuer,
      OIDC_CLIENT_ID: this.clientId,
      OIDC_CLIENT_SECRET: this.clientSecret,
      OIDC_SCOPES: 'openid profile email groups',
      OIDC_BUTTON_LABEL: 'Sign in with Test IdP',
      ...extra,
    };
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
