import { Box, Group, Text } from '@mantine/core';
import type { ViewerStats } from './viewer-stats.js';

export type ConnectionState = 'connected' | 'connecting' | 'reconnecting' | 'disconnected';

/** The state behind a status line: "connecting…", "resuming…" and "starting…" are all on the way. */
export function connectionState(status: string): ConnectionState {
  if (status === 'connected') return 'connected';
  if (status.startsWith('reconnecting')) return 'reconnecting';
  if (/^(disconnected|cannot)/.test(status)) return 'disconnected';
  return 'connecting';
}

const COLOUR: Record<ConnectionState, string> = {
  connected: 'green',
  connecting: 'yellow',
  reconnecting: 'orange',
  disconnected: 'red',
};

/**
 * The connection's state in colour and in words, then its measures. The words are the status
 * line (role=status, announced; tests wait for its exact text); the measures change every second,
 * so they stay out of the live region.
 */
export function ConnectionIndicator({ status, stats }: { status: string; stats?: ViewerStats }) {
  const state = connectionState(status);
  return (
    <Group gap={8} wrap="nowrap" className="viewer-indicator" data-state={state} px={6}>
      <Box
        aria-hidden
        w={10}
        h={10}
        style={{ borderRadius: '50%', flex: 'none', background: `var(--mantine-color-${COLOUR[state]}-filled)` }}
      />
      <Box miw={0}>
        <Text size="sm" fw={500} truncate="end" role="status" title={status}>
          {status}
        </Text>
        {state === 'connected' && stats && (
          <Text
            size="xs"
            c="dimmed"
            className="viewer-stats"
            truncate="end"
            title="Round trip: a one-pixel update asked for and drawn (browser → agent → desktop → back). Frames: screen updates drawn in the last second (0 while nothing changes)."
          >
            {stats.rttMs === undefined ? 'measuring…' : `${stats.rttMs} ms`} · {stats.fps} fps
          </Text>
        )}
      </Box>
    </Group>
  );
}
