import { Badge, Group, Progress, Stack, Text } from '@mantine/core';

/** An agent as GET /api/v1/agents shows it to admins. */
export interface Agent {
  agent_id: string;
  platform: string;
  status: string;
  status_reason: string | null;
  region: string | null;
  pool: string | null;
  /** 0 or absent: no limit (the agent's MAX_* settings). */
  capacity: { max_sessions?: number; max_cpu?: number; max_memory_gb?: number } | null;
  /** From the agent's latest heartbeat. */
  used: { sessions?: number; cpu?: number; memory_gb?: number } | null;
  sessions: number;
  version: string | null;
  last_heartbeat: string | null;
  enrolled: boolean;
  enrolled_at: string | null;
  enrolled_from: string | null;
  last_address: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

/** "12 s ago", "4 min ago", "2 h ago"; computed at render, so a page re-rendering keeps it current. */
export function heartbeatAge(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function AgentStatusBadge({ agent }: { agent: Agent }) {
  const status = agent.revoked_at ? 'revoked' : agent.status;
  const colour = status === 'online' ? 'green' : status === 'revoked' ? 'red' : 'gray';
  return (
    <Badge color={colour} variant="dot" radius="sm" title={agent.status_reason ?? undefined}>
      {status}
    </Badge>
  );
}

const round = (n: number) => String(Math.round(n * 10) / 10);

function CapacityBar({
  label,
  used,
  max,
  unit,
}: {
  label: string;
  used: number;
  max: number | undefined;
  unit: string;
}) {
  const limited = max !== undefined && max > 0;
  const percent = limited ? Math.min(100, (used / max) * 100) : 0;
  const text = `${round(used)}${unit} of ${limited ? `${round(max)}${unit}` : 'no limit'}`;
  // Over 90 % the scheduler is about to stop placing sessions here: say so in colour and in words.
  const colour = percent >= 90 ? 'red' : percent >= 70 ? 'yellow' : 'indigo';
  return (
    <div>
      <Group justify="space-between" gap="xs">
        <Text size="xs" fw={500}>
          {label}
        </Text>
        <Text size="xs" c="dimmed">
          {text}
          {percent >= 90 && ' (full)'}
        </Text>
      </Group>
      {limited && <Progress value={percent} color={colour} size="sm" aria-label={`${label}: ${text}`} />}
    </div>
  );
}

/** Sessions, CPU and memory in use against the agent's capacity, as labelled bars. */
export function AgentCapacityBars({ agent }: { agent: Agent }) {
  return (
    <Stack gap={6}>
      <CapacityBar label="Sessions" used={agent.sessions} max={agent.capacity?.max_sessions} unit="" />
      <CapacityBar label="CPU" used={agent.used?.cpu ?? 0} max={agent.capacity?.max_cpu} unit=" cores" />
      <CapacityBar label="Memory" used={agent.used?.memory_gb ?? 0} max={agent.capacity?.max_memory_gb} unit=" GB" />
    </Stack>
  );
}
