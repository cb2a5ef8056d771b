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

/** The states in the order a session passes through them (the dashboard's tiles). */
export const STATE_ORDER = Object.keys(STATE_LOOK).filter((s) => s !== 'deleted') as Exclude<
  SessionStateName,
  'deleted'
>[];

/** A session's state as a badge: colour and words together. */
export function StateBadge({ state }: { state: SessionStateName }) {
  const look = STATE_LOOK[state];
  // `dot`: the colour is a dot beside text in the page's text colour, so contrast holds for every
  // state colour in both schemes (a light badge's green or orange text on its tint falls under AA).
  return (
    <Badge color={look.color} variant="dot" radius="sm" data-state-badge={state}>
      {look.label}
    </Badge>
  );
}
