import type { CommandType, SessionStateName } from '@streamspace/protocol';

/** What the agent says it has for a session after (re)connecting: a container that runs or not. */
export type ObservedState = 'running' | 'stopped';

export type ReconcileAction =
  | { kind: 'none' }
  | { kind: 'transition'; to: SessionStateName; reason: string | null }
  | { kind: 'command'; type: CommandType };

/**
 * Compares the database's state of a session with what its agent reports after a reconnect.
 * Pure: the hub applies the action. Commands still queued for the agent are re-sent anyway, so
 * in-between states (stopping, hibernating, pending) wait for them.
 */
export function reconcileAction(expected: SessionStateName, observed: ObservedState): ReconcileAction {
  if (observed === 'stopped') {
    switch (expected) {
      case 'starting':
      case 'running':
        return { kind: 'transition', to: 'failed', reason: "the session's container stopped while its agent was away" };
      case 'stopping':
        return { kind: 'transition', to: 'stopped', reason: null };
      case 'hibernating':
        return { kind: 'transition', to: 'hibernated', reason: null };
      case 'deleted':
        return { kind: 'command', type: 'delete_session' };
      default:
        return { kind: 'none' };
    }
  }
  switch (expected) {
    case 'starting':
      return { kind: 'transition', to: 'running', reason: null };
    // Running although it should not: bring the platform back in line with the database.
    case 'stopped':
    case 'failed':
      return { kind: 'command', type: 'stop_session' };
    case 'hibernated':
      return { kind: 'command', type: 'hibernate_session' };
    case 'deleted':
      return { kind: 'command', type: 'delete_session' };
    default:
      return { kind: 'none' };
  }
}
