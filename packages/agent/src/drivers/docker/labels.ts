/** Labels every session container carries; the agent rebuilds its view from them after a restart. */
export const LABELS = {
  managed: 'streamspace.managed',
  sessionId: 'streamspace.session-id',
  agentId: 'streamspace.agent-id',
  /** The pool of the agent that created it: every agent of the pool sees it (ownership is the
   * control plane's, as labels cannot change when the session moves to another agent). */
  pool: 'streamspace.pool',
  template: 'streamspace.template',
  user: 'streamspace.user',
} as const;

export const containerName = (sessionId: string) => `streamspace-session-${sessionId}`;
export const homeVolumeName = (sessionId: string) => `streamspace-home-${sessionId}`;
