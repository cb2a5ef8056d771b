import { requestableFrom, type CommandType, type RequestableState, type SessionStateName } from '@streamspace/protocol';

export { requestableFrom, type RequestableState };

/**
 * The session state machine (architecture.md): pending → starting → running → (stopping → stopped)
 * | (hibernating → hibernated → starting); any → failed; deleted is terminal. Every change, whether a
 * user asked or an agent reported, is checked against this table.
 */
export const TRANSITIONS: Readonly<Record<SessionStateName, readonly SessionStateName[]>> = {
  // pending → running: a fast agent may report running before its starting report lands.
  pending: ['starting', 'running', 'stopping', 'stopped', 'failed', 'deleted'],
  starting: ['running', 'stopping', 'failed', 'deleted'],
  running: ['stopping', 'hibernating', 'failed', 'deleted'],
  stopping: ['stopped', 'failed', 'deleted'],
  stopped: ['failed', 'deleted'],
  hibernating: ['hibernated', 'failed', 'deleted'],
  hibernated: ['starting', 'running', 'stopped', 'failed', 'deleted'],
  failed: ['deleted'],
  deleted: [],
};

/** States that hold a place in the user's session quota: all but those that can only fail or be
 * deleted (stopped, failed, deleted), so resuming a hibernated session never exceeds the quota. */
export const QUOTA_STATES: readonly SessionStateName[] = (Object.keys(TRANSITIONS) as SessionStateName[]).filter(
  (state) => TRANSITIONS[state].some((next) => next !== 'failed' && next !== 'deleted'),
);

export function canTransition(from: SessionStateName, to: SessionStateName): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States a user may ask for with PATCH. */
export const REQUESTABLE_STATES: readonly RequestableState[] = ['running', 'hibernated', 'stopped'];

export type RequestPlan =
  | { ok: true; next: SessionStateName; command: CommandType | undefined; reason: string | null }
  | { ok: false; allowed: RequestableState[] };

/**
 * What a user's request for `requested` means from `current`: the state to enter now and the command
 * for the agent. `dispatched` says whether an agent already holds the session.
 */
export function planRequest(current: SessionStateName, requested: RequestableState, dispatched: boolean): RequestPlan {
  if (current === requested) return { ok: true, next: current, command: undefined, reason: null };
  const plan = PLANS[current]?.[requested];
  if (plan) return { ok: true, ...plan(dispatched) };
  return { ok: false, allowed: requestableFrom(current) };
}

type Planner = (dispatched: boolean) => {
  next: SessionStateName;
  command: CommandType | undefined;
  reason: string | null;
};

const stopNow: Planner = () => ({ next: 'stopped', command: undefined, reason: 'stopped by user' });
const stopOnAgent: Planner = (dispatched) =>
  dispatched ? { next: 'stopping', command: 'stop_session', reason: 'stop requested' } : stopNow(false);

/** How each request the protocol's state table allows (SESSION_STATE_ATTRIBUTES `requestable`) is
 * carried out; session-state.test.ts checks that the two agree. */
export const PLANS: Partial<Record<SessionStateName, Partial<Record<RequestableState, Planner>>>> = {
  pending: { stopped: stopOnAgent },
  starting: { stopped: stopOnAgent },
  running: {
    stopped: stopOnAgent,
    hibernated: () => ({ next: 'hibernating', command: 'hibernate_session', reason: 'hibernate requested' }),
  },
  hibernated: {
    running: () => ({ next: 'starting', command: 'resume_session', reason: 'resuming' }),
    // The container is already stopped; nothing for the agent to do until delete.
    stopped: stopNow,
  },
};
