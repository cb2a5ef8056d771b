import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one-time credential an agent presents when it dials a file stream back: an HMAC of the
 * stream id and the agent's uuid under the tunnel key (vnc/tunnel-token.ts), with its own label so
 * a VNC tunnel's token never admits a file stream, nor the other way round.
 */
export function fileStreamToken(secret: Buffer, streamId: string, agentUuid: string): string {
  return createHmac('sha256', secret).update(`file-stream\0${streamId}\0${agentUuid}`).digest('base64url');
}

export function fileStreamTokenMatches(secret: Buffer, streamId: string, agentUuid: string, presented: string) {
  const expected = Buffer.from(fileStreamToken(secret, streamId, agentUuid));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The hub's completePayload for open_file_stream: the token is added as the command is sent, never stored. */
export function addFileStreamToken(secret: Buffer) {
  return (type: string, payload: Record<string, unknown>, agentUuid: string): Record<string, unknown> =>
    type === 'open_file_stream' && typeof payload.stream_id === 'string'
      ? { ...payload, token: fileStreamToken(secret, payload.stream_id, agentUuid) }
      : payload;
}
