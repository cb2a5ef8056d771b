import type { SessionStateName } from './session-state.js';

export type { SessionStateName };

/** The states a user may ask a session for (PATCH /api/v1/sessions/{id} `state`). */
export type RequestableState = 'running' | 'hibernated' | 'stopped';

/** What each state means to the parts that group states; the control plane's state machine owns the
 * transitions (control-plane sessions/session-state.ts). */
export interface SessionStateAttributes {
  /** Occupies a slot on its agent (agent capacity, pool takeover); a session leaving this group frees
   * a slot, so pending sessions are placed again. */
  holdsSlot: boolean;
  /** The agent must still have the container or pod: if a reconnecting agent does not report it,
   * the session has vanished and fails. */
  expectedOnAgent: boolean;
  /** A viewer may connect (the connect endpoint, share redemption, the UI's "Open"). */
  viewable: boolean;
  /** A viewer that lost its stream waits and reconnects by itself: the session is viewable, or will
   * be without anyone's request (running with its agent being replaced, or being started). */
  viewerWaits: boolean;
  /** The states a user may ask for from here, in the order the UI offers them. */
  requestable: readonly RequestableState[];
}

/**
 * One row per state: every group of states (ACTIVE_STATES, slot release, expected-on-agent, the UI's
 * actions) is derived from this table, so adding a state means filling in one row, and the compiler
 * refuses a missing one.
 */
export const SESSION_STATE_ATTRIBUTES: Readonly<Record<SessionStateName, SessionStateAttributes>> = {
  // Not on an agent yet, or its start command not yet acted on: stopping needs no agent call.
  pending: { holdsSlot: true, expectedOnAgent: false, viewerWaits: true, viewable: false, requestable: ['stopped'] },
  // The agent may not have created the container yet (a start in flight), so its absence is no loss.
  starting: { holdsSlot: true, expectedOnAgent: false, viewerWaits: true, viewable: false, requestable: ['stopped'] },
  running: {
    holdsSlot: true,
    expectedOnAgent: true,
    viewerWaits: true,
    viewable: true,
    requestable: ['hibernated', 'stopped'],
  },
  stopping: { holdsSlot: true, expectedOnAgent: true, viewerWaits: false, viewable: false, requestable: [] },
  // The container stays (stopped, not removed) until delete, so the agent still reports it.
  stopped: { holdsSlot: false, expectedOnAgent: true, viewerWaits: false, viewable: false, requestable: [] },
  hibernating: { holdsSlot: true, expectedOnAgent: true, viewerWaits: false, viewable: false, requestable: [] },
  hibernated: {
    holdsSlot: false,
    expectedOnAgent: true,
    viewerWaits: false,
    viewable: false,
    requestable: ['running', 'stopped'],
  },
  failed: { holdsSlot: false, expectedOnAgent: false, viewerWaits: false, viewable: false, requestable: [] },
  deleted: { holdsSlot: false, expectedOnAgent: false, viewerWaits: false, viewable: false, requestable: [] },
};

const statesWhere = (test: (attributes: SessionStateAttributes) => boolean): readonly SessionStateName[] =>
  (Object.keys(SESSION_STATE_ATTRIBUTES) as SessionStateName[]).filter((state) =>
    test(SESSION_STATE_ATTRIBUTES[state]),
  );

/** States in which a session occupies a slot on its agent. */
export const SLOT_HOLDING_STATES = statesWhere((a) => a.holdsSlot);
/** States in which the agent must still have the session's container or pod. */
export const EXPECTED_ON_AGENT_STATES = statesWhere((a) => a.expectedOnAgent);

export const holdsSlot = (state: SessionStateName): boolean => SESSION_STATE_ATTRIBUTES[state].holdsSlot;
export const isViewable = (state: SessionStateName): boolean => SESSION_STATE_ATTRIBUTES[state].viewable;
export const viewerWaits = (state: SessionStateName): boolean => SESSION_STATE_ATTRIBUTES[state].viewerWaits;
/** The states a user may ask for from `current` that would change something. */
export const requestableFrom = (current: SessionStateName): RequestableState[] => [
  ...SESSION_STATE_ATTRIBUTES[current].requestable,
];
