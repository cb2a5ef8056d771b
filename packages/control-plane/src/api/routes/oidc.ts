import { Type } from 'typebox';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LOGIN_CODE_TTL_S, LOGIN_STATE_TTL_S, type OidcLogin } from '../../auth/oidc-login.js';
import { OidcLoginError } from '../../auth/oidc-errors.js';
import { ApiError, BadRequestError, NotFoundError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { LoginResponse, errors } from '../schemas.js';
import { publicUser } from './users.js';

const STATE_COOKIE = 'streamspace_oidc_state';
const RESULT_COOKIE = 'streamspace_oidc_result';
const COOKIE_PATH = '/api/v1/auth/oidc';

const ProvidersBody = Type.Object({
  local: Type.Boolean({ description: 'password login for everyone (false: only the bootstrap administrator)' }),
  oidc: Type.Union([
    Type.Object({ label: Type.String(), login_url: Type.String() }),
    Type.Null({ description: 'single sign-on is not configured' }),
  ]),
});

const ExchangeResponse = Type.Object({
  ...LoginResponse.properties,
  return_to: Type.String({ description: 'the UI route the sign-in was started from' }),
});

class SsoFailedError extends ApiError {
  constructor(message: string) {
    super(401, 'sso_failed', message);
  }
}

/**
 * Single sign-on's HTTP side. The callback never puts a login token (or the hand-over code) in a
 * URL, where proxies, server logs and browser history would keep it: it sets a sealed, HttpOnly,
 * SameSite=Lax cookie holding either a one-time code (valid a minute, stored hashed in the
 * database) or the reason the sign-in failed, and redirects to `#/login?sso=1`; the UI then POSTs
 * /api/v1/auth/oidc/exchange, which redeems the code once and returns the same login token as a
 * password login. A crafted link can neither log a victim into someone else's account (it cannot set
 * our cookie) nor show them a message of the attacker's choosing.
 */
export async function oidcRoutes(app: FastifyInstance, ctx: ApiContext, publicUrl: string) {
  const landing = `${publicUrl}/#/login?sso=1`;
  const cookieOptions = {
    path: COOKIE_PATH,
    httpOnly: true,
    // Lax: sent on the provider's top-level redirect back to the callback, never on cross-site POSTs.
    sameSite: 'lax' as const,
    secure: new URL(publicUrl).protocol === 'https:',
  };

  app.get(
    '/api/v1/auth/providers',
    {
      schema: {
        summary: 'How one may sign in: password login, and single sign-on when configured',
        tags: ['auth'],
        response: { 200: ProvidersBody },
      },
    },
    async () => ({
      local: ctx.signIn.localLogin,
      oidc: ctx.signIn.oidc ? { label: ctx.signIn.oidc.label, login_url: '/api/v1/auth/oidc/login' } : null,
    }),
  );

  // Cookies are read only here: the rest of the API authenticates with bearer tokens, never cookies.
  await app.register(async (scope) => {
    await scope.register(cookie);

    const oidcOf = (): OidcLogin => {
      if (!ctx.signIn.oidc) {
        throw new NotFoundError('single sign-on (OIDC_ISSUER_URL is not set)', 'oidc');
      }
      return ctx.signIn.oidc;
    };
    const land = async (reply: FastifyReply, result: { code: string } | { error: string }) => {
      const sealed = await oidcOf().sealer.seal('login-result', result, LOGIN_CODE_TTL_S);
      return reply
        .header('cache-control', 'no-store')
        .setCookie(RESULT_COOKIE, sealed, { ...cookieOptions, maxAge: LOGIN_CODE_TTL_S })
        .redirect(landing, 302);
    };

    /** The words for the login page; our own failures (a database outage) are logged and said plainly. */
    const failure = (request: FastifyRequest, error: unknown) => {
      if (error instanceof OidcLoginError) return error.message;
      request.log.error({ err: error }, 'single sign-on failed inside StreamSpace');
      return `StreamSpace could not finish the sign-in (internal error, request ${request.id}); try again shortly.`;
    };

    scope.get<{ Querystring: { return_to?: string } }>(
      '/api/v1/auth/oidc/login',
      {
        schema: {
          summary: 'Start single sign-on: redirects to the identity provider',
          tags: ['auth'],
          querystring: Type.Object({
            return_to: Type.Optional(
              Type.String({ maxLength: 300, description: 'UI route to land on, e.g. /view/<id>' }),
            ),
          }),
          response: { 302: Type.Null(), ...errors(404) },
        },
      },
      async (request, reply) => {
        const oidc = oidcOf();
        try {
          const { redirect, sealedState } = await oidc.start(request.query.return_to ?? '/', request.ip);
          return reply
            .header('cache-control', 'no-store')
            .setCookie(STATE_COOKIE, sealedState, { ...cookieOptions, maxAge: LOGIN_STATE_TTL_S })
            .redirect(redirect.href, 302);
        } catch (error) {
          return land(reply, { error: failure(request, error) });
        }
      },
    );

    scope.get(
      '/api/v1/auth/oidc/callback',
      {
        schema: {
          summary: 'Where the identity provider sends the browser back; lands in the UI signed in',
          tags: ['auth'],
          response: { 302: Type.Null(), ...errors(404) },
        },
      },
      async (request, reply) => {
        const oidc = oidcOf();
        const query = new URLSearchParams(request.url.split('?')[1] ?? '');
        // The state is good for one answer: gone from the browser whatever the outcome.
        reply.clearCookie(STATE_COOKIE, cookieOptions);
        try {
          const code = await oidc.finish(query, request.cookies[STATE_COOKIE], request.ip);
          return await land(reply, { code });
        } catch (error) {
          return land(reply, { error: failure(request, error) });
        }
      },
    );

    scope.post(
      '/api/v1/auth/oidc/exchange',
      {
        schema: {
          summary: 'Finish single sign-on in the UI: the sign-in cookie set by the callback for a bearer token',
          tags: ['auth'],
          response: { 200: ExchangeResponse, ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const result = await oidcOf().sealer.open('login-result', request.cookies[RESULT_COOKIE]);
        reply.clearCookie(RESULT_COOKIE, cookieOptions);
        if (!result) {
          throw new BadRequestError(
            'No single sign-on result in this browser: it was used already or is older than a minute. Sign in again.',
          );
        }
        if ('error' in result) throw new SsoFailedError(result.error);
        const redeemed = await oidcOf().redeem(result.code);
        if (!redeemed) {
          throw new SsoFailedError(
            'This sign-in was used already, has expired, or the account is disabled. Sign in again.',
          );
        }
        const { user, returnTo } = redeemed;
        const { token, expiresAt } = await ctx.tokens.issue({
          userId: user.id,
          username: user.username,
          role: user.role,
          tokenVersion: user.token_version,
        });
        return { token, expires_at: expiresAt.toISOString(), user: publicUser(user), return_to: returnTo };
      },
    );
  });
}
