import type { OidcConfig } from '../config/oidc-settings.js';

/** Who the identity provider says signed in, as StreamSpace uses it. */
export interface OidcProfile {
  subject: string;
  username: string;
  email: string | null;
  displayName: string | null;
  groups: string[];
}

export type ClaimsDecision =
  /** role null: OIDC_ADMIN_GROUPS is empty, so groups decide no role (an admin sets it by hand). */
  | { ok: true; profile: OidcProfile; role: 'admin' | 'user' | null }
  /** `reason` goes to the audit log and the operator's log, `message` to the person signing in. */
  | { ok: false; reason: string; message: string };

export type ClaimRules = Pick<OidcConfig, 'usernameClaim' | 'groupsClaim' | 'adminGroups' | 'allowedGroups'>;

/** The user name rule of POST /api/v1/users, so an SSO user could also have been made by hand. */
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const SHOWN_GROUPS = 10;

/**
 * A claim by name, or by a dotted path into nested objects when no claim has the whole name
 * (Keycloak puts realm roles at `realm_access.roles`).
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || !(part in value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Groups as a list: providers send an array of names, a few a single string. */
export function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value.trim()];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

const listed = (groups: string[]) =>
  groups.length === 0
    ? 'none'
    : `${groups.slice(0, SHOWN_GROUPS).join(', ')}${groups.length > SHOWN_GROUPS ? ` and ${groups.length - SHOWN_GROUPS} more` : ''}`;

/**
 * The account a sign-in maps to, decided from the ID token's and userinfo's claims alone (pure, so
 * every rule is unit-tested): the user name from OIDC_USERNAME_CLAIM, admin when in any of
 * OIDC_ADMIN_GROUPS (when that is set), refused when OIDC_ALLOWED_GROUPS is set and the user is in none of them.
 */
export function decideFromClaims(claims: Record<string, unknown>, rules: ClaimRules): ClaimsDecision {
  const subject = text(claims.sub);
  if (!subject) {
    return { ok: false, reason: 'no sub claim', message: 'The identity provider sent no subject (sub) for you.' };
  }
  const groupsClaim = claimAt(claims, rules.groupsClaim);
  const groups = groupsOf(groupsClaim);
  if (rules.allowedGroups.length > 0 && !groups.some((g) => rules.allowedGroups.includes(g))) {
    const why =
      groupsClaim === undefined
        ? `your sign-in carried no "${rules.groupsClaim}" claim (the provider must be set up to send group claims)`
        : `you are in ${listed(groups)}`;
    return {
      ok: false,
      reason: 'not in an allowed group',
      message: `You are not in a group allowed to use StreamSpace (allowed: ${rules.allowedGroups.join(', ')}); ${why}. Ask an administrator to add you to one of the allowed groups.`,
    };
  }
  const username = claimAt(claims, rules.usernameClaim);
  if (typeof username !== 'string' || username.trim() === '') {
    return {
      ok: false,
      reason: `no ${rules.usernameClaim} claim`,
      message: `The identity provider sent no "${rules.usernameClaim}" claim to name your account; an administrator must set OIDC_USERNAME_CLAIM to a claim it sends (or add the scope that carries it to OIDC_SCOPES).`,
    };
  }
  if (!USERNAME.test(username.trim())) {
    return {
      ok: false,
      reason: `unusable ${rules.usernameClaim} claim`,
      message: `Your "${rules.usernameClaim}" claim (${JSON.stringify(username).slice(0, 80)}) is not a usable StreamSpace user name (1 to 64 letters, digits, . _ @ -); an administrator must set OIDC_USERNAME_CLAIM to another claim.`,
    };
  }
  const admin = groups.some((g) => rules.adminGroups.includes(g));
  return {
    ok: true,
    role: rules.adminGroups.length === 0 ? null : admin ? 'admin' : 'user',
    profile: {
      subject,
      username: username.trim(),
      email: text(claims.email)?.slice(0, 255) ?? null,
      displayName: text(claims.name)?.slice(0, 255) ?? null,
      groups,
    },
  };
}
