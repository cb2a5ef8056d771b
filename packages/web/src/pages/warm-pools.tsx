import { Badge, Group, Paper, Stack, Text } from '@mantine/core';

/** One template's warm pool in GET /api/v1/admin/overview (control-plane api/routes/admin.ts). */
export interface WarmPool {
  template: string;
  size: number;
  ready: number;
  starting: number;
  failures: number;
  last_error: string | null;
  retry_at: string | null;
}

/** The dashboard's warm pools: how many sessions wait to be claimed, and why a pool cannot fill. */
export function WarmPools({ pools }: { pools: WarmPool[] }) {
  return (
    <Stack gap="xs">
      {pools.map((p) => (
        <Paper key={p.template} withBorder p="sm" data-warm-pool={p.template}>
          <Group gap="xs">
            {/* `dot`, as the state badges: a light badge's orange text on its tint falls under AA contrast. */}
            <Badge variant="dot" color="orange" radius="sm">
              warm
            </Badge>
            <Text fw={600}>{p.template}</Text>
            <Text size="sm" aria-label={`${p.ready} of ${p.size} ready`}>
              {p.ready} of {p.size} ready{p.starting > 0 ? `, ${p.starting} starting` : ''}
            </Text>
          </Group>
          {p.failures > 0 && (
            <Text size="sm" c="red" mt={4} role="status">
              {p.failures} failed start{p.failures === 1 ? '' : 's'} in a row
              {p.retry_at ? `; next try ${new Date(p.retry_at).toLocaleTimeString()}` : ''}: {p.last_error}
            </Text>
          )}
        </Paper>
      ))}
    </Stack>
  );
}
