import type { CommandType, SessionStateName } from '@streamspace/protocol';
import { ACTIVE_STATES } from '../db/queries/sessions.js';

/** Commands that change what runs on the platform; re-sent to the new owner (drivers are idempotent). */
export const LIFECYCLE_COMMANDS: readonly CommandType[] = [
  'start_session',
  'resume_session',
  'stop_session',
  'hibernate_session',
  'delete_session',
  'adopt_session',
];

/** A command the offline agent had not finished (pending, sent or acked). */
export interface UnfinishedCommand {
  id: string;
  type: string;
  data: Record<string, unknown> | null;
  createdAt: Date;
}

/** A session assigned to the offline agent, with that agent's unfinished commands for it. */
export interface OrphanedSession {
  id: string;
  state: SessionStateName;
  commands: UnfinishedCommand[];
}

/** An online agent of the same pool and platform, with its active session count. */
export interface PoolMember {
  id: string;
  agentId: string;
  activeSessions: number;
}

export interface SessionMove {
  sessionId: string;
  to: PoolMember;
  /** The offline agent's commands to cancel: lifecycle ones are re-sent below, tunnels are not
   * (their viewers reconnect and get a new tunnel from the new owner). */
  cancel: string[];
  /** Commands for the new owner, oldest first; `createdAt` keeps a re-sent command's place in line. */
  send: Array<{ type: CommandType; data: Record<string, unknown>; createdAt: Date | null }>;
}

/**
 * What the new owner must do when no lifecycle command is in flight: a running (or starting)
 * session is adopted as it is, without a restart; a stop or hibernate whose command already
 * finished on the dead agent but whose report never arrived is simply done again. Stopped,
 * hibernated, failed and deleted sessions only change owner, so later commands go to the new one.
 */
const FALLBACK: Partial<Record<SessionStateName, CommandType>> = {
  running: 'adopt_session',
  starting: 'adopt_session',
  stopping: 'stop_session',
  hibernating: 'hibernate_session',
};

/**
 * Which sessions of an offline agent move to which online pool member, and which commands go
 * with them. Pure, so the rule is unit-tested: least loaded member first (ties by AGENT_ID), the
 * load counting the sessions handed out in this plan, so a dead agent's sessions are spread.
 */
export function planTakeover(
  fromAgentId: string,
  sessions: readonly OrphanedSession[],
  members: readonly PoolMember[],
): SessionMove[] {
  if (members.length === 0) return [];
  const load = new Map(members.map((m) => [m.id, m.activeSessions]));
  const leastLoaded = () =>
    [...members].sort((a, b) => load.get(a.id)! - load.get(b.id)! || a.agentId.localeCompare(b.agentId))[0]!;
  const moves: SessionMove[] = [];
  for (const session of [...sessions].sort((a, b) => a.id.localeCompare(b.id))) {
    const to = leastLoaded();
    if (ACTIVE_STATES.includes(session.state)) load.set(to.id, load.get(to.id)! + 1);
    const ordered = [...session.commands].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const send: SessionMove['send'] = ordered
      .filter((c) => LIFECYCLE_COMMANDS.includes(c.type as CommandType))
      .map((c) => ({
        type: c.type as CommandType,
        // An adopt re-sent names the agent the session came from this time.
        data: c.type === 'adopt_session' ? { from_agent_id: fromAgentId } : (c.data ?? {}),
        createdAt: c.createdAt,
      }));
    const fallback = FALLBACK[session.state];
    if (send.length === 0 && fallback) {
      send.push({
        type: fallback,
        data: fallback === 'adopt_session' ? { from_agent_id: fromAgentId } : {},
        createdAt: null,
      });
    }
    moves.push({ sessionId: session.id, to, cancel: ordered.map((c) => c.id), send });
  }
  return moves;
}
