import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { CommandType } from './control-plane-messages.js';
import { OpenFileStream } from './file-stream.js';

// The payload of each command type. The `command` envelope keeps `payload` a record, so an agent
// that predates a command still decodes the frame and answers with a failed result; the receiver
// checks the payload against these schemas before acting on it. Unknown fields are allowed here
// (unlike messages) so a newer control plane can add one without failing older agents' commands.

const Empty = Type.Object({});

export const SessionTemplate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  image: Type.String({ minLength: 1, maxLength: 1000 }),
  vnc_port: Type.Integer({ minimum: 1, maximum: 65535 }),
  cpu_limit: Type.Number({ exclusiveMinimum: 0 }),
  memory_limit_mb: Type.Integer({ minimum: 1 }),
  env: Type.Record(Type.String(), Type.String()),
  persistent_home: Type.Boolean(),
});
export type SessionTemplate = Static<typeof SessionTemplate>;

export const StartSession = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 64 }),
  template: SessionTemplate,
});
export type StartSession = Static<typeof StartSession>;

/** Resuming a hibernated session needs no template (the container exists); one may be sent. */
export const ResumeSession = Type.Object({
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  template: Type.Optional(SessionTemplate),
});
export type ResumeSession = Static<typeof ResumeSession>;

export const OpenTunnel = Type.Object({
  tunnel_id: Type.String({ format: 'uuid' }),
  token: Type.String({ minLength: 1, maxLength: 500 }),
});
export type OpenTunnel = Static<typeof OpenTunnel>;

export const CloseTunnel = Type.Object({ tunnel_id: Type.String({ format: 'uuid' }) });
export type CloseTunnel = Static<typeof CloseTunnel>;

/**
 * The agent that held the session went offline and this agent, of the same pool, now owns it: the
 * session's container or pod runs on, and the new owner takes it as it is (no restart).
 */
export const AdoptSession = Type.Object({
  /** The AGENT_ID of the agent that held the session, for the logs. */
  from_agent_id: Type.String({ minLength: 1, maxLength: 255 }),
});
export type AdoptSession = Static<typeof AdoptSession>;

export const CommandPayloads = {
  start_session: StartSession,
  resume_session: ResumeSession,
  stop_session: Empty,
  hibernate_session: Empty,
  delete_session: Empty,
  open_tunnel: OpenTunnel,
  close_tunnel: CloseTunnel,
  adopt_session: AdoptSession,
  open_file_stream: OpenFileStream,
} as const satisfies Record<CommandType, TSchema>;
export type CommandPayload<T extends CommandType> = Static<(typeof CommandPayloads)[T]>;

const validators = Object.fromEntries(
  Object.entries(CommandPayloads).map(([type, schema]) => [type, Compile(schema as TSchema)]),
) as Record<CommandType, ReturnType<typeof Compile>>;

/** Checks a command's payload against its type's schema; the problem names the field. */
export function checkCommandPayload<T extends CommandType>(
  type: T,
  payload: unknown,
): { ok: true; payload: CommandPayload<T> } | { ok: false; problem: string } {
  const validator = validators[type];
  if (validator.Check(payload)) return { ok: true, payload: payload as CommandPayload<T> };
  for (const error of validator.Errors(payload)) {
    const field = error.instancePath === '' ? '(payload)' : error.instancePath.slice(1).replaceAll('/', '.');
    return { ok: false, problem: `${type} payload ${field}: ${error.message}` };
  }
  return { ok: false, problem: `${type} payload is invalid` };
}
