import { createHash, randomBytes } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../auth/authenticate.js';
import { ApiError, UnauthorizedError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { IdParam, errors } from '../schemas.js';
import { homePath } from '../../files/home-path.js';
import { SHARE_TOKEN_HEADER, ShareTokenHeaders, transferAccess } from '../../files/transfer-access.js';
import { sendDownload } from '../../files/file-download.js';
import { insertFileDownloadTicket, redeemFileDownloadTicket } from '../../db/queries/file-download-tickets.js';
import { findApiTokenByHash } from '../../db/queries/api-tokens.js';
import { SESSION_HOME } from '@streamspace/protocol';

/** Long enough for the browser to navigate to the link it was just handed; a link works once. */
export const DOWNLOAD_LINK_TTL_MS = 60_000;
/** 32 random bytes, base64url: 256 bits, more than any guessing can reach in a minute. */
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const LINK_GONE =
  'This download link is unknown, already used or expired (links work once, for 60 seconds): ask for a new link with POST /api/v1/sessions/{id}/files/download-link, or download again from the file panel';

const DownloadLink = Type.Object({
  url: Type.String({ description: 'GET it without Authorization, once, before expires_at' }),
  expires_at: Type.String({ format: 'date-time' }),
});

const hashTicket = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The URL carries a secret: the request log shows the route's pattern, not the URL. */
    secretInUrl?: boolean;
  }
}

/**
 * Download links (issue 15): a browser that fetches a file with its bearer header must collect it
 * in memory before saving; a link it can simply navigate to streams to disk through the browser's own
 * download manager. The link is a single-use ticket, stored hashed so any replica can redeem it,
 * bound to the session, the path, the user, the login and the share it was minted through, all of
 * which are checked again when it is redeemed.
 */
export function fileDownloadLinkRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.post<{ Params: { id: string }; Querystring: { path?: string } }>(
    '/api/v1/sessions/:id/files/download-link',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'A single-use link (60 s) that downloads a file without an Authorization header',
        tags: ['files'],
        security: [{ bearer: [] }],
        params: IdParam,
        querystring: Type.Object({
          path: Type.Optional(Type.String({ description: `relative to the session user's home (${SESSION_HOME})` })),
        }),
        headers: ShareTokenHeaders,
        response: { 200: DownloadLink, ...errors(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const me = caller(request);
      const header = request.headers[SHARE_TOKEN_HEADER];
      const granted = await transferAccess(ctx.db, me, request.params.id, {
        token: Array.isArray(header) ? header[0] : header,
      });
      const checked = homePath(request.query.path, { emptyIsHome: false });
      if (!checked.ok) throw new ApiError(400, 'bad_path', checked.problem);
      const ticket = randomBytes(32).toString('base64url');
      const expiresAt = await insertFileDownloadTicket(ctx.db, {
        hash: hashTicket(ticket),
        sessionId: granted.sessionId,
        userId: me.userId,
        path: checked.path,
        shareId: granted.shareId,
        tokenVersion: me.grant.tokenVersion,
        tokenExpiresAt: me.grant.expiresAt,
        apiTokenHash: me.grant.apiTokenHash ?? null,
        ttlMs: DOWNLOAD_LINK_TTL_MS,
      });
      return { url: `/api/v1/files/download/${ticket}`, expires_at: expiresAt.toISOString() };
    },
  );

  app.get<{ Params: { ticket: string } }>(
    '/api/v1/files/download/:ticket',
    {
      config: { secretInUrl: true },
      schema: {
        summary: 'Download the file a download link names, streamed (no Authorization: the link is the credential)',
        tags: ['files'],
        params: Type.Object({ ticket: Type.String({ description: 'from POST …/files/download-link' }) }),
        response: { ...errors(400, 401, 404, 409, 502, 504) },
      },
    },
    async (request, reply) => {
      const { ticket } = request.params;
      const redeemed = TICKET_SHAPE.test(ticket)
        ? await redeemFileDownloadTicket(ctx.db, hashTicket(ticket))
        : undefined;
      if (!redeemed) throw new ApiError(404, 'link_not_found', LINK_GONE);
      await authenticateLink(ctx, request, redeemed);
      const granted = await transferAccess(ctx.db, caller(request), redeemed.session_id, { id: redeemed.share_id });
      return sendDownload(ctx, request, reply, granted, redeemed.path, 'link');
    },
  );
}

/** The login that minted the link must still hold: not logged out, disabled, expired or revoked. */
async function authenticateLink(
  ctx: ApiContext,
  request: FastifyRequest,
  redeemed: NonNullable<Awaited<ReturnType<typeof redeemFileDownloadTicket>>>,
) {
  const grant = {
    userId: redeemed.user_id,
    tokenVersion: redeemed.token_version,
    expiresAt: redeemed.token_expires_at,
    ...(redeemed.api_token_hash ? { apiTokenHash: redeemed.api_token_hash } : {}),
  };
  const login = await ctx.access.check(grant);
  if (!login.ok) throw new UnauthorizedError(login.message);
  if (redeemed.api_token_hash) {
    const token = await findApiTokenByHash(ctx.db, redeemed.api_token_hash);
    if (!token || token.revoked_at)
      throw new UnauthorizedError('The API token this link was made with was revoked or deleted; create a new token');
  }
  request.user = { ...login.user, grant };
}
