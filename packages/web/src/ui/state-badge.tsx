import { Badge, type MantineColor } from '@mantine/core';
import type { SessionStateName } from '@streamspace/protocol/session-state-groups';

/** Each state's colour and words: colour alone would fail colour-blind users and screen readers. */
export const STATE_LOOK: Readonly<Record<SessionStateName, { color: MantineColor; label: string }>> = {
  pending: { color: 'gray', label: 'Waiting' },
  starting: { color: 'blue', label: 'Starting' },
  running: { color: 'green', label: 'Running' },
  stopping: { color: 'orange', label: 'Stopping' },
  stopped: { color: 'gray', label: 'Stopped' },
  hibernating: { color: 'violet', label: 'Hibernating' },
  hibernated: { color: 'violet', label: 'Hibernated' },
  failed: { color: 'red', label: 'Failed' },
  deleted: { color: 'dark', label: 'Deleted' },
};

/** A session's state as a badge: colour and words together. */
export function StateBadge({ state }: { state: SessionStateName }) {
  const look = STATE_LOOK[state];
  return (
    <Badge color={look.color} variant="light" data-state-badge={state}>
      {look.label}
    </Badge>
  );
}
