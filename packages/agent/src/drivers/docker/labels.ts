/** Labels every session container carries; the agent rebuilds its view from them after a restart. */
export const LABELS = {
  managed: 'streamspace.managed',
  sessionId: 'streamspace.session-id',
  agentId: 'streamspace.agent-id',
  template: 'streamspace.template',
  user: 'streamspace.user',
} as const;

export const containerName = (sessionId: string) => `streamspace-session-${sessionId}`;
export const homeVolumeName = (sessionId: string) => `streamspace-home-${sessionId}`;
