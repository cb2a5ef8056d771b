import { Type, type Static } from 'typebox';
import type { MessageOf } from './message-catalog.js';
import { Platform, SessionStateName } from './session-state.js';

// Messages an agent sends to the control plane. Each schema's type has the schema's name.

const Id = Type.String({ minLength: 1, maxLength: 255 });
const Uuid = Type.String({ format: 'uuid' });
/**
 * Reasons are words for people (a container's exit with its last log lines): the receiver keeps at
 * most MAX_REASON_LENGTH characters (clipReason). The schema allows far more, up to the frame limit,
 * so a long reason is clipped rather than refused: a refusal is a protocol strike, and a user
 * printing 3,000 characters before their session exits must not get the agent disconnected.
 */
export const MAX_REASON_LENGTH = 2000;
const Reason = Type.String({ maxLength: 256 * 1024 });

/** `text` cut to at most `max` characters (UTF-16 units), never inside a surrogate pair, ending in
 * "…" when cut. */
export function clipReason(text: string, max = MAX_REASON_LENGTH): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${text.slice(0, end)}…`;
}

export const Capacity = Type.Object(
  {
    /** 0 means unlimited, as in the seed's MAX_* variables. */
    max_sessions: Type.Integer({ minimum: 0 }),
    max_cpu: Type.Number({ minimum: 0 }),
    max_memory_gb: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Capacity = Static<typeof Capacity>;

export const Usage = Type.Object(
  {
    sessions: Type.Integer({ minimum: 0 }),
    cpu: Type.Number({ minimum: 0 }),
    memory_gb: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Usage = Static<typeof Usage>;

export const ReportedSession = Type.Object(
  { session_id: Uuid, state: SessionStateName },
  { additionalProperties: false },
);
export type ReportedSession = Static<typeof ReportedSession>;

export const Register = Type.Object(
  {
    agent_id: Id,
    platform: Platform,
    region: Type.Optional(Type.String({ maxLength: 100 })),
    version: Type.String({ minLength: 1, maxLength: 64 }),
    capacity: Capacity,
    sessions: Type.Array(ReportedSession, { maxItems: 10000 }),
    /**
     * Agents that share one platform (a Kubernetes namespace on one cluster, one Docker engine)
     * name the same pool and take over each other's sessions when one goes offline. Optional so
     * agents from before pools still register: without it an agent is a pool of its own.
     */
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type Register = Static<typeof Register>;

export const Heartbeat = Type.Object({ capacity: Capacity, used: Usage }, { additionalProperties: false });
export type Heartbeat = Static<typeof Heartbeat>;

export const CommandAck = Type.Object({ command_id: Uuid }, { additionalProperties: false });
export type CommandAck = Static<typeof CommandAck>;

export const CommandResult = Type.Object(
  {
    command_id: Uuid,
    ok: Type.Boolean(),
    error: Type.Optional(Reason),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResult>;

export const Progress = Type.Object(
  {
    step: Type.String({ minLength: 1, maxLength: 64 }),
    message: Type.String({ maxLength: 500 }),
    current: Type.Optional(Type.Number({ minimum: 0 })),
    total: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type Progress = Static<typeof Progress>;

export const SessionStatus = Type.Object(
  {
    session_id: Uuid,
    state: SessionStateName,
    reason: Type.Optional(Reason),
    progress: Type.Optional(Progress),
  },
  { additionalProperties: false },
);
export type SessionStatus = Static<typeof SessionStatus>;

/** The catalog the router validates against: message type → payload schema. */
export const AgentMessages = {
  register: Register,
  heartbeat: Heartbeat,
  command_ack: CommandAck,
  command_result: CommandResult,
  session_status: SessionStatus,
} as const;
export type AgentMessageType = keyof typeof AgentMessages;
export type AgentMessage = MessageOf<typeof AgentMessages>;
