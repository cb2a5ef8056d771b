import { boolean, list, optionalText, text, type Setting } from './settings.js';

/** The path the identity provider sends users back to; registered there as `PUBLIC_URL` + this. */
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';

/** Single sign-on as the control plane runs it; undefined in the config when OIDC_ISSUER_URL is unset. */
export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  usernameClaim: string;
  groupsClaim: string;
  adminGroups: string[];
  /** Empty: everyone the provider signs in may use StreamSpace. */
  allowedGroups: string[];
  buttonLabel: string;
  /** PUBLIC_URL + OIDC_CALLBACK_PATH. */
  redirectUri: string;
}

/**
 * The issuer exactly as given: discovery compares it with the provider's `issuer` character for
 * character, and some issuers end in a slash (Auth0) while others must not (Keycloak realms, Entra).
 */
function issuerUrl(env: string, description: string): Setting<string | undefined> {
  return {
    env,
    defaultText: '(none: single sign-on off)',
    description,
    parse: (raw) => {
      const value = raw?.trim();
      if (!value) return { value: undefined };
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        return { problem: `expected a URL like https://idp.example.com/realms/main, got "${value}"` };
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        return { problem: `expected an https URL, got "${parsed.protocol}"` };
      }
      if (parsed.search || parsed.hash) return { problem: 'must not carry a query or fragment' };
      return { value };
    },
  };
}

export const OIDC_SETTINGS = {
  oidcIssuerUrl: issuerUrl(
    'OIDC_ISSUER_URL',
    'OpenID Connect issuer (its discovery document is at this URL + /.well-known/openid-configuration); setting it turns single sign-on on',
  ),
  oidcClientId: optionalText(
    'OIDC_CLIENT_ID',
    'Client id registered at the identity provider; required with OIDC_ISSUER_URL',
  ),
  oidcClientSecret: optionalText(
    'OIDC_CLIENT_SECRET',
    'Client secret of that client (a confidential client); required with OIDC_ISSUER_URL; never logged',
  ),
  oidcScopes: text('OIDC_SCOPES', 'openid profile email', 'Scopes requested at sign-in, space-separated'),
  oidcUsernameClaim: text(
    'OIDC_USERNAME_CLAIM',
    'preferred_username',
    'Claim whose value becomes the StreamSpace user name when the account is created',
  ),
  oidcGroupsClaim: text('OIDC_GROUPS_CLAIM', 'groups', 'Claim listing the groups the user is in'),
  oidcAdminGroups: list(
    'OIDC_ADMIN_GROUPS',
    'Groups whose members are admins, comma-separated; the role is set from the groups at every sign-in',
  ),
  oidcAllowedGroups: list(
    'OIDC_ALLOWED_GROUPS',
    'Groups allowed to sign in, comma-separated; when set, anyone in none of them is refused and gets no account',
  ),
  oidcButtonLabel: text('OIDC_BUTTON_LABEL', 'Sign in with single sign-on', 'Text of the login page’s SSO button'),
  localLogin: boolean(
    'LOCAL_LOGIN',
    true,
    'Password login; when false only the bootstrap administrator (ADMIN_USERNAME) may use it, as a break-glass account',
  ),
} satisfies Record<string, Setting<unknown>>;

type OidcValues = { [K in keyof typeof OIDC_SETTINGS]: (typeof OIDC_SETTINGS)[K] extends Setting<infer T> ? T : never };

/** The cross-field rules: an issuer needs a client, and turning password login off needs SSO. */
export function oidcConfig(v: OidcValues, publicUrl: string, problems: string[]): OidcConfig | undefined {
  if (v.oidcIssuerUrl === undefined) {
    if (!v.localLogin) {
      problems.push(
        'LOCAL_LOGIN: false needs single sign-on (OIDC_ISSUER_URL), or only the bootstrap administrator could log in',
      );
    }
    return undefined;
  }
  if (v.oidcClientId === undefined) problems.push('OIDC_CLIENT_ID: required when OIDC_ISSUER_URL is set');
  if (v.oidcClientSecret === undefined) problems.push('OIDC_CLIENT_SECRET: required when OIDC_ISSUER_URL is set');
  if (!v.oidcScopes.split(/\s+/).includes('openid')) {
    problems.push(`OIDC_SCOPES: must include openid, got "${v.oidcScopes}"`);
  }
  if (v.oidcClientId === undefined || v.oidcClientSecret === undefined) return undefined;
  return {
    issuerUrl: v.oidcIssuerUrl,
    clientId: v.oidcClientId,
    clientSecret: v.oidcClientSecret,
    scopes: v.oidcScopes,
    usernameClaim: v.oidcUsernameClaim,
    groupsClaim: v.oidcGroupsClaim,
    adminGroups: v.oidcAdminGroups,
    allowedGroups: v.oidcAllowedGroups,
    buttonLabel: v.oidcButtonLabel,
    redirectUri: `${publicUrl}${OIDC_CALLBACK_PATH}`,
  };
}
