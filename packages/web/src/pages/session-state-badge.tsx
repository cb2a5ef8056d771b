import { Badge } from '@mantine/core';
import type { SessionStateName } from '@streamspace/protocol/session-state-groups';

/** Each state's colour; the badge always carries the word too, so colour is never the only signal. */
export const STATE_COLOURS: Readonly<Record<SessionStateName, string>> = {
  pending: 'gray',
  starting: 'blue',
  running: 'green',
  stopping: 'orange',
  stopped: 'gray',
  hibernating: 'violet',
  hibernated: 'violet',
  failed: 'red',
  deleted: 'dark',
};

/** The states in the order a session passes through them (the dashboard's tiles). */
export const STATE_ORDER = Object.keys(STATE_COLOURS).filter((s) => s !== 'deleted') as Exclude<
  SessionStateName,
  'deleted'
>[];

export function SessionStateBadge({ state }: { state: SessionStateName }) {
  // `dot`: the colour is a dot beside text in the page's text colour, so contrast holds for every
  // state colour on both schemes (light badges' green or orange text on a tint falls under WCAG AA).
  return (
    <Badge color={STATE_COLOURS[state]} variant="dot" radius="sm">
      {state}
    </Badge>
  );
}
