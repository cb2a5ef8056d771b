import { Transform, pipeline } from 'node:stream';
import { posix } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FileStreamOp } from '@streamspace/protocol';
import { ApiError } from '../errors.js';
import type { ApiContext } from '../api/context.js';
import { auditRequest } from '../api/audit-request.js';
import type { TransferAccess } from './transfer-access.js';
import { FileStreamTimeoutError, type FileStream } from './file-streams.js';
import { replyError } from './reply-errors.js';
import { contentDisposition } from './content-disposition.js';

/** Opens a file stream to the session's agent; an agent that is away or says no becomes an ApiError. */
export async function openFileStream(
  ctx: ApiContext,
  granted: TransferAccess,
  op: FileStreamOp,
  path: string,
  size?: number,
): Promise<FileStream> {
  let stream: FileStream;
  try {
    stream = await ctx.files.streams.open({
      sessionId: granted.sessionId,
      agentUuid: granted.agentUuid,
      op,
      path,
      size,
    });
  } catch (error) {
    if (error instanceof FileStreamTimeoutError)
      throw new ApiError(
        504,
        'agent_timeout',
        `${error.message}; the agent may be offline or restarting, retry shortly`,
      );
    throw new ApiError(
      502,
      'agent_stream_failed',
      `the file stream to the session's agent failed: ${(error as Error).message}`,
    );
  }
  if (!stream.reply.ok) {
    stream.socket.destroy();
    throw replyError(stream.reply.error, stream.reply.message);
  }
  return stream;
}

/** Records a transfer by the request's caller; a failed write is logged, never fails the transfer. */
export function auditTransfer(
  ctx: ApiContext,
  request: FastifyRequest,
  granted: TransferAccess,
  action: string,
  details: Record<string, unknown>,
) {
  return auditRequest(ctx, request, {
    action,
    targetType: 'session',
    targetId: granted.sessionId,
    details: { ...details, owner_user_id: granted.ownerUserId, share_id: granted.shareId },
  }).catch((error: unknown) => request.log.warn({ err: error }, `${action} not audited`));
}

/**
 * Streams a file from the session to the client as an attachment, and audits it once the stream
 * ends (`via` says which route: the API with a bearer, or a download link). Both download routes
 * answer through here, so a link's download is the API's byte for byte.
 */
export async function sendDownload(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  granted: TransferAccess,
  path: string,
  via: 'api' | 'link',
) {
  const stream = await openFileStream(ctx, granted, 'read', path);
  const size = stream.reply.ok ? (stream.reply.size ?? 0) : 0;
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  // pipeline destroys the agent's stream when the client goes away, which stops the reading.
  pipeline(stream.socket, counter, () => {
    stream.socket.destroy();
    void auditTransfer(ctx, request, granted, 'session.file_download', {
      path,
      size,
      sent,
      completed: sent === size,
      ...(via === 'link' ? { via } : {}),
    });
  });
  return reply
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(size))
    .header('content-disposition', contentDisposition(posix.basename(path)))
    .header('cache-control', 'no-store')
    .send(counter);
}
