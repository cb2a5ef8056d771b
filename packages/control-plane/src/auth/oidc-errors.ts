import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';

/**
 * A single sign-on that did not end in a login. `reason` is short and goes to the audit log and
 * the operator's log; `message` is for the person at the login page and says what to do. Neither
 * carries a secret: provider error texts are the provider's, our own never include the client
 * secret, codes or tokens.
 */
export class OidcLoginError extends Error {
  /** Who was signing in, when the provider got as far as saying. */
  readonly username: string | undefined;

  constructor(
    readonly reason: string,
    message: string,
    options?: ErrorOptions & { username?: string },
  ) {
    super(message, options);
    this.name = 'OidcLoginError';
    this.username = options?.username;
  }
}

export type OidcStage = 'discovery' | 'authorization' | 'token' | 'userinfo';

const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The network error under a failed fetch (ECONNREFUSED, ENOTFOUND, a timeout), if that is what it was. */
function networkCause(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'timed out';
    if (current instanceof TypeError && current.message === 'fetch failed' && !(current.cause instanceof Error)) {
      return 'fetch failed';
    }
    current = current.cause;
  }
  return undefined;
}

/** Words for what went wrong talking to the identity provider at `stage`. */
export function describeProviderError(error: unknown, stage: OidcStage, issuer: string): OidcLoginError {
  if (error instanceof OidcLoginError) return error;
  if (error instanceof AuthorizationResponseError) {
    const detail = error.error_description ? `: ${clip(error.error_description)}` : '';
    if (error.error === 'access_denied') {
      return new OidcLoginError(
        'access_denied',
        `Sign-in was cancelled or refused at the identity provider (access_denied${detail}).`,
        { cause: error },
      );
    }
    return new OidcLoginError(
      `provider error ${error.error}`,
      `The identity provider refused the sign-in (${error.error}${detail}).`,
      { cause: error },
    );
  }
  const oauthError =
    error instanceof ResponseBodyError
      ? error.error
      : error instanceof WWWAuthenticateChallengeError
        ? (error.cause[0]?.parameters.error ?? `HTTP ${error.status}`)
        : undefined;
  if (oauthError === 'invalid_client' || (error instanceof WWWAuthenticateChallengeError && error.status === 401)) {
    return new OidcLoginError(
      'invalid_client',
      'The identity provider did not accept StreamSpace’s client credentials (invalid_client); an administrator must check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.',
      { cause: error },
    );
  }
  if (oauthError === 'invalid_grant') {
    return new OidcLoginError(
      'invalid_grant',
      'The identity provider refused the sign-in code (invalid_grant): it was used already or expired. Start the sign-in again.',
      { cause: error },
    );
  }
  if (oauthError !== undefined) {
    const description =
      error instanceof ResponseBodyError && error.error_description ? `: ${clip(error.error_description)}` : '';
    return new OidcLoginError(
      `provider error ${oauthError}`,
      `The identity provider answered with an error (${oauthError}${description}).`,
      { cause: error },
    );
  }
  const network = networkCause(error);
  if (network) {
    return new OidcLoginError(
      `provider unreachable (${stage}: ${network})`,
      `The identity provider at ${issuer} cannot be reached (${network}). Try again in a while; if it persists, tell an administrator.`,
      { cause: error },
    );
  }
  const message = clip((error as Error)?.message ?? String(error));
  if (stage === 'discovery') {
    return new OidcLoginError(
      `discovery failed: ${message}`,
      `StreamSpace could not read the identity provider's configuration at ${issuer} (${message}); an administrator must check OIDC_ISSUER_URL.`,
      { cause: error },
    );
  }
  const code = error instanceof ClientError && error.code ? ` ${error.code}` : '';
  return new OidcLoginError(
    `invalid ${stage} response${code}: ${message}`,
    `The identity provider's answer did not pass StreamSpace's checks (${message}). Start the sign-in again; if it persists, tell an administrator.`,
    { cause: error },
  );
}
