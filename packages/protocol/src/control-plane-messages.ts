import { Type, type Static } from 'typebox';
import type { MessageOf } from './message-catalog.js';

// Messages the control plane sends to an agent. Each schema's type has the schema's name.

export const Registered = Type.Object(
  {
    /** How often the agent must heartbeat, in milliseconds. */
    heartbeat_interval_ms: Type.Integer({ minimum: 100 }),
    /** After this long without a heartbeat the agent is marked offline; the agent checks its
     * interval is below half of it at start (the seeds' 10 s / 30 s / 45 s disagreement). */
    heartbeat_timeout_ms: Type.Integer({ minimum: 200 }),
    /** Which control-plane replica holds this connection, for the agent's logs. */
    replica_id: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { additionalProperties: false },
);
export type Registered = Static<typeof Registered>;

export const CommandType = Type.Union([
  Type.Literal('start_session'),
  Type.Literal('stop_session'),
  Type.Literal('hibernate_session'),
  Type.Literal('resume_session'),
  Type.Literal('delete_session'),
  Type.Literal('open_tunnel'),
  Type.Literal('close_tunnel'),
  Type.Literal('adopt_session'),
  Type.Literal('open_file_stream'),
]);
export type CommandType = Static<typeof CommandType>;

export const Command = Type.Object(
  {
    command_id: Type.String({ format: 'uuid' }),
    type: CommandType,
    session_id: Type.String({ format: 'uuid' }),
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type Command = Static<typeof Command>;

export const ErrorCode = Type.Union([
  Type.Literal('invalid_json'),
  Type.Literal('invalid_envelope'),
  Type.Literal('unsupported_version'),
  Type.Literal('unknown_type'),
  Type.Literal('invalid_payload'),
  Type.Literal('frame_too_large'),
  Type.Literal('binary_not_allowed'),
  Type.Literal('not_registered'),
  Type.Literal('already_registered'),
  Type.Literal('unknown_command'),
  Type.Literal('unknown_session'),
  Type.Literal('internal'),
]);
export type ErrorCode = Static<typeof ErrorCode>;

export const ProtocolError = Type.Object({ code: ErrorCode, message: Type.String() }, { additionalProperties: false });
export type ProtocolError = Static<typeof ProtocolError>;

export const ControlPlaneMessages = {
  registered: Registered,
  command: Command,
  error: ProtocolError,
} as const;
export type ControlPlaneMessageType = keyof typeof ControlPlaneMessages;
export type ControlPlaneMessage = MessageOf<typeof ControlPlaneMessages>;
