import { Type } from 'typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  FileEntry,
  SESSION_HOME,
  parseFileStreamReply,
  type FileStreamOp,
  type FileStreamReply,
} from '@streamspace/protocol';
import { caller } from '../../auth/authenticate.js';
import { ApiError, BadRequestError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { IdParam, errors } from '../schemas.js';
import { homePath } from '../../files/home-path.js';
import {
  SHARE_TOKEN_HEADER,
  ShareTokenHeaders,
  transferAccess,
  type TransferAccess,
} from '../../files/transfer-access.js';
import type { FileStream } from '../../files/file-streams.js';
import { auditTransfer, openFileStream, sendDownload } from '../../files/file-download.js';
import { replyError } from '../../files/reply-errors.js';
import { formatByteSize } from '../../files/byte-size.js';
import { readReplyLine } from '../../files/reply-line.js';
import { fileDownloadLinkRoutes } from './file-download-links.js';

type Request = FastifyRequest<{ Params: { id: string }; Querystring: { path?: string } }>;

const PathQuery = Type.Object({
  path: Type.Optional(
    Type.String({ description: `relative to the session user's home (${SESSION_HOME}), or absolute under it` }),
  ),
});
const Listing = Type.Object({
  path: Type.String(),
  home: Type.String(),
  entries: Type.Array(FileEntry),
  truncated: Type.Boolean({ description: 'more entries exist than were listed' }),
  upload_max: Type.Integer({ description: 'SESSION_UPLOAD_MAX in bytes' }),
});
const Uploaded = Type.Object({ path: Type.String(), size: Type.Integer() });
const security = [{ bearer: [] }];

/**
 * Files in and out of a running session (issue 15): list a directory of the home, download a file,
 * upload one. The bytes go browser → this replica → the agent over a stream the agent dials out
 * (files/file-streams.ts), never through the JSON control channel, and are never held whole.
 */
export async function sessionFileRoutes(app: FastifyInstance, ctx: ApiContext) {
  const uploadMax = ctx.files.uploadMaxBytes;

  const access = (request: Request) => {
    const header = request.headers[SHARE_TOKEN_HEADER];
    return transferAccess(ctx.db, caller(request), request.params.id, {
      token: Array.isArray(header) ? header[0] : header,
    });
  };
  const pathOf = (request: Request, emptyIsHome: boolean) => {
    const checked = homePath(request.query.path, { emptyIsHome });
    if (!checked.ok) throw new ApiError(400, 'bad_path', checked.problem);
    return checked.path;
  };
  const open = (granted: TransferAccess, op: FileStreamOp, path: string, size?: number) =>
    openFileStream(ctx, granted, op, path, size);
  const audit = (request: Request, granted: TransferAccess, action: string, details: Record<string, unknown>) =>
    auditTransfer(ctx, request, granted, action, details);

  fileDownloadLinkRoutes(app, ctx);

  await app.register(async (scope) => {
    // Upload bodies are read here, as a stream, not by a parser that would buffer them (bodyLimit).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    scope.get<{ Params: { id: string }; Querystring: { path?: string } }>(
      '/api/v1/sessions/:id/files',
      {
        onRequest: ctx.authenticate,
        schema: {
          summary: "List a directory of the session user's home (running sessions)",
          tags: ['files'],
          security,
          params: IdParam,
          querystring: PathQuery,
          headers: ShareTokenHeaders,
          response: { 200: Listing, ...errors(400, 401, 404, 409, 502, 504) },
        },
      },
      async (request) => {
        const granted = await access(request);
        const path = pathOf(request, true);
        const stream = await open(granted, 'list', path);
        stream.socket.destroy();
        const me = caller(request);
        // The owner browsing their own home is not an event; an admin or a guest looking in is.
        if (me.userId !== granted.ownerUserId) void audit(request, granted, 'session.file_list', { path });
        return {
          path,
          home: SESSION_HOME,
          entries: stream.reply.ok ? (stream.reply.entries ?? []) : [],
          truncated: stream.reply.ok && stream.reply.truncated === true,
          upload_max: uploadMax,
        };
      },
    );

    scope.get<{ Params: { id: string }; Querystring: { path?: string } }>(
      '/api/v1/sessions/:id/files/content',
      {
        onRequest: ctx.authenticate,
        schema: {
          summary: 'Download a file from the session, streamed',
          tags: ['files'],
          security,
          params: IdParam,
          querystring: PathQuery,
          headers: ShareTokenHeaders,
          response: { ...errors(400, 401, 403, 404, 409, 502, 504) },
        },
      },
      async (request, reply) => {
        const granted = await access(request);
        const path = pathOf(request, false);
        return sendDownload(ctx, request, reply, granted, path, 'api');
      },
    );

    scope.put<{ Params: { id: string }; Querystring: { path?: string } }>(
      '/api/v1/sessions/:id/files/content',
      {
        onRequest: ctx.authenticate,
        schema: {
          summary: `Upload the request body to a file in the session, streamed (at most SESSION_UPLOAD_MAX)`,
          tags: ['files'],
          security,
          params: IdParam,
          querystring: PathQuery,
          headers: ShareTokenHeaders,
          response: { 200: Uploaded, ...errors(400, 401, 403, 404, 409, 411, 413, 502, 504) },
        },
      },
      async (request, reply) => {
        const granted = await access(request);
        const path = pathOf(request, false);
        if (path === SESSION_HOME) throw new BadRequestError('path names the home itself; give a file name in it');
        const size = uploadSize(request);
        if (size > uploadMax) {
          void audit(request, granted, 'session.file_upload', { path, size, completed: false, refused: 'too_large' });
          // Connection: close, so the client stops sending the rest of a body nobody will read.
          reply.header('connection', 'close');
          throw new ApiError(
            413,
            'too_large',
            `the file is ${formatByteSize(size)}, more than SESSION_UPLOAD_MAX (${formatByteSize(uploadMax)}); nothing was written`,
          );
        }
        const stream = await open(granted, 'write', path, size);
        const outcome = await sendBody(request, reply, stream);
        void audit(request, granted, 'session.file_upload', {
          path,
          size,
          completed: outcome.ok,
          ...(outcome.ok ? {} : { reason: outcome.message }),
        });
        if (!outcome.ok) throw replyError(outcome.error, outcome.message);
        return { path, size };
      },
    );
  });
}

/** The body's declared length: the agent needs it up front (it reads exactly that many bytes). */
function uploadSize(request: FastifyRequest): number {
  const header = request.headers['content-length'];
  if (header === undefined)
    throw new ApiError(
      411,
      'length_required',
      'send the file with a Content-Length (curl -T file does); uploads of unknown length are not accepted',
    );
  const size = Number(header);
  if (!Number.isSafeInteger(size) || size < 0) throw new BadRequestError(`Content-Length ${header} is not a size`);
  return size;
}

/** Streams the request body to the agent and waits for its verdict; the client leaving aborts the write. */
async function sendBody(request: FastifyRequest, reply: FastifyReply, stream: FileStream): Promise<FileStreamReply> {
  const body = request.raw;
  const aborted = new Promise<FileStreamReply>((resolve) => {
    const onClose = () => {
      if (body.complete) return;
      stream.socket.destroy(); // the agent sees its stream end early and removes the partial file
      resolve({ ok: false, error: 'incomplete', message: 'the upload was cancelled before its end; nothing was kept' });
    };
    body.on('close', onClose);
    reply.raw.on('close', onClose);
  });
  // No end(): the agent knows the size; ending would half-close the stream the verdict comes back on.
  body.pipe(stream.socket, { end: false });
  const verdict = readReplyLine(stream.socket, Buffer.alloc(0), 64 * 1024).then(
    ({ line }) => parseFileStreamReply(line),
    (error: Error): FileStreamReply => ({
      ok: false,
      error: 'failed',
      message: `the agent did not confirm the upload: ${error.message}`,
    }),
  );
  const result = await Promise.race([verdict, aborted]);
  stream.socket.destroy();
  return result;
}
