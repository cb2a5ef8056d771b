import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Files in and out of a session (issue 15). The control plane sends `open_file_stream`; the agent
 * dials a raw tunnel back to /agent/files/{stream_id} (the same handshake as a VNC tunnel) and
 * answers on it with one JSON line, a FileStreamReply. Then, by `op`:
 * - list: the reply carries the entries; the agent ends the stream.
 * - read: the reply carries the size; exactly that many bytes follow; the agent ends the stream.
 * - write: the control plane sends exactly `size` bytes; the agent answers a second
 *   FileStreamReply line once the file is in place (or not), and ends the stream. A stream that
 *   closes early aborts the write, and the partial file is removed.
 * The bytes never touch the JSON control channel: a 1 GiB upload must not queue behind heartbeats.
 */

/** Where the session user's files live in every session image (images/*: useradd … user, HOME). */
export const SESSION_HOME = '/home/user';

/** The subprotocol path an agent dials for a file stream. */
export const fileStreamPath = (streamId: string) => `/agent/files/${streamId}`;

export const FileStreamOp = Type.Union([Type.Literal('list'), Type.Literal('read'), Type.Literal('write')]);
export type FileStreamOp = Static<typeof FileStreamOp>;

export const OpenFileStream = Type.Object({
  stream_id: Type.String({ format: 'uuid' }),
  token: Type.String({ minLength: 1, maxLength: 500 }),
  op: FileStreamOp,
  /** Absolute, inside SESSION_HOME, already normalised by the control plane; the agent checks
   * again inside the session (symlinks can only be resolved there). */
  path: Type.String({ minLength: 1, maxLength: 4096 }),
  /** write: the number of bytes that will follow. */
  size: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type OpenFileStream = Static<typeof OpenFileStream>;

export const FileEntry = Type.Object({
  name: Type.String(),
  type: Type.Union([Type.Literal('file'), Type.Literal('directory'), Type.Literal('symlink'), Type.Literal('other')]),
  size: Type.Integer({ minimum: 0 }),
  /** ISO 8601. */
  mtime: Type.String(),
});
export type FileEntry = Static<typeof FileEntry>;

/** Why the agent refused or failed a stream; the control plane turns each into an HTTP status. */
export const FileStreamError = Type.Union([
  Type.Literal('path_outside_home'),
  Type.Literal('not_found'),
  Type.Literal('not_a_file'),
  Type.Literal('not_a_directory'),
  Type.Literal('permission_denied'),
  Type.Literal('incomplete'),
  Type.Literal('unsupported'),
  Type.Literal('failed'),
]);
export type FileStreamError = Static<typeof FileStreamError>;

export const FileStreamReply = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    entries: Type.Optional(Type.Array(FileEntry)),
    /** list: more entries exist than were sent. */
    truncated: Type.Optional(Type.Boolean()),
  }),
  Type.Object({ ok: Type.Literal(false), error: FileStreamError, message: Type.String() }),
]);
export type FileStreamReply = Static<typeof FileStreamReply>;

const replyValidator = Compile(FileStreamReply);

/** A reply line as JSON, checked; a bad one is reported as a `failed` reply naming the problem. */
export function parseFileStreamReply(line: string): FileStreamReply {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: 'failed', message: 'the agent answered the file stream with something other than JSON' };
  }
  if (replyValidator.Check(value)) return value;
  return { ok: false, error: 'failed', message: 'the agent answered the file stream with an unexpected reply' };
}
