import { Badge, Group, Progress, Stack, Text } from '@mantine/core';
import type { Session } from '../api.js';

/**
 * Start-up progress as the agent reports it: the step, its message, and a bar — measured when the
 * agent gives current/total (image bytes pulled), moving stripes while a step has no measure.
 * Outside start-up it shows the state's reason, if any.
 */
export function SessionProgress({ session }: { session: Session }) {
  const starting = session.state === 'pending' || session.state === 'starting';
  const progress = session.progress;
  const text = progress?.message ?? session.state_reason ?? '';
  if (!starting)
    return text ? (
      <Text size="sm" c="dimmed" className="reason">
        {text}
      </Text>
    ) : null;
  const measured = progress?.total !== undefined && progress.total > 0 && progress.current !== undefined;
  const percent = measured ? Math.round((Math.min(progress.current!, progress.total!) / progress.total!) * 100) : 100;
  return (
    <Stack gap={6} className="progress" data-step={progress?.step ?? 'waiting'}>
      <Group gap={6} wrap="nowrap" align="flex-start">
        {progress?.step && (
          <Badge size="xs" variant="default" radius="sm">
            {progress.step}
          </Badge>
        )}
        <Text size="sm" c="dimmed" role="status" aria-live="polite">
          {text}
        </Text>
      </Group>
      <Progress.Root size="sm">
        <Progress.Section
          value={percent}
          animated={!measured}
          striped={!measured}
          aria-label="start-up progress"
          {...(measured ? {} : { 'aria-valuetext': 'in progress' })}
        />
      </Progress.Root>
    </Stack>
  );
}
