import { useCallback, useEffect, useRef, useState } from 'react';
import { Card, Group, Paper, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { IconCircleCheck } from '@tabler/icons-react';
import type { SessionStateName } from '@streamspace/protocol/session-state-groups';
import { api, watchSessions } from '../api.js';
import { AdminPage } from './admin-page.js';
import { AgentCapacityBars, AgentStatusBadge, heartbeatAge, type Agent } from './agent-capacity.js';
import { StateBadge, STATE_ORDER } from '../ui/state-badge.js';
import { WarmPools, type WarmPool } from './warm-pools.js';

/** GET /api/v1/admin/overview (control-plane api/routes/admin.ts). */
interface Overview {
  sessions_by_state: Record<Exclude<SessionStateName, 'deleted'>, number>;
  recent_failures: Array<{
    id: string;
    user: string;
    template: string;
    agent_id: string | null;
    region: string | null;
    reason: string | null;
    failed_at: string;
  }>;
  warm_pools: WarmPool[];
  generated_at: string;
}

/** Agents report load in heartbeats, which no stream pushes to the UI: poll them this often. */
const AGENT_POLL_MS = 10_000;

/** Admin dashboard: sessions by state, agents with their load, the recent failures. Session counts
 * follow the live session stream; agents are polled (see AGENT_POLL_MS). */
export function Dashboard() {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadOverview = useCallback(
    () => api<Overview>('GET', '/api/v1/admin/overview').then(setOverview, (e: Error) => setError(e.message)),
    [],
  );
  const loadAgents = useCallback(
    () => api<Agent[]>('GET', '/api/v1/agents').then(setAgents, (e: Error) => setError(e.message)),
    [],
  );

  useEffect(() => {
    void loadOverview();
    void loadAgents();
    const controller = new AbortController();
    // Admins' stream carries every session's changes; a burst (an agent reconnecting with twenty
    // sessions) becomes one reload, a quarter-second after it settles.
    watchSessions(() => {
      clearTimeout(pending.current);
      pending.current = setTimeout(() => {
        void loadOverview();
        void loadAgents();
      }, 250);
    }, controller.signal);
    const timer = setInterval(() => void loadAgents(), AGENT_POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
      clearTimeout(pending.current);
    };
  }, [loadOverview, loadAgents]);

  return (
    <AdminPage title="Dashboard" description="Sessions, agents and what failed lately, updated live." error={error}>
      <section aria-labelledby="dashboard-states">
        <Title order={2} size="h4" id="dashboard-states" mb="xs">
          Sessions by state
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
          {STATE_ORDER.map((state) => (
            <Paper key={state} withBorder p="sm" data-state-count={state}>
              <StateBadge state={state} />
              {overview ? (
                <Text fz={28} fw={700} aria-label={`${overview.sessions_by_state[state]} ${state}`}>
                  {overview.sessions_by_state[state]}
                </Text>
              ) : (
                <Skeleton height={34} mt={4} />
              )}
            </Paper>
          ))}
        </SimpleGrid>
      </section>

      <section aria-labelledby="dashboard-agents">
        <Title order={2} size="h4" id="dashboard-agents" mb="xs">
          Agents
        </Title>
        {agents === null ? (
          <Skeleton height={140} />
        ) : agents.length === 0 ? (
          <Paper withBorder p="md">
            <Text c="dimmed">
              No agent has registered yet. Start one with <code>npx streamspace agent docker</code>.
            </Text>
          </Paper>
        ) : (
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
            {agents.map((agent) => (
              <Card key={agent.agent_id} withBorder data-agent-card={agent.agent_id}>
                <Group justify="space-between" mb="xs" wrap="nowrap">
                  <Text fw={600} truncate>
                    {agent.agent_id}
                  </Text>
                  <AgentStatusBadge agent={agent} />
                </Group>
                <Text size="sm" c="dimmed" mb="sm">
                  {agent.platform} · region {agent.region ?? 'none'} · heartbeat {heartbeatAge(agent.last_heartbeat)}
                </Text>
                <AgentCapacityBars agent={agent} />
              </Card>
            ))}
          </SimpleGrid>
        )}
      </section>

      {overview && overview.warm_pools.length > 0 && (
        <section aria-labelledby="dashboard-warm-pools">
          <Title order={2} size="h4" id="dashboard-warm-pools" mb="xs">
            Warm pools
          </Title>
          <WarmPools pools={overview.warm_pools} />
        </section>
      )}

      <section aria-labelledby="dashboard-failures">
        <Title order={2} size="h4" id="dashboard-failures" mb="xs">
          Recent failures
        </Title>
        {overview === null ? (
          <Skeleton height={80} />
        ) : overview.recent_failures.length === 0 ? (
          <Paper withBorder p="md">
            <Group gap="xs">
              <IconCircleCheck aria-hidden color="var(--mantine-color-green-7)" />
              <Text>No session has failed.</Text>
            </Group>
          </Paper>
        ) : (
          <Failures failures={overview.recent_failures} />
        )}
      </section>
    </AdminPage>
  );
}

function Failures({ failures }: { failures: Overview['recent_failures'] }) {
  return (
    <Stack gap="xs">
      {failures.map((f) => (
        <Paper key={f.id} withBorder p="sm" data-failure={f.id}>
          <Group justify="space-between" gap="xs">
            <Group gap="xs">
              <StateBadge state="failed" />
              <Text fw={600}>{f.template}</Text>
              <Text size="sm" c="dimmed">
                for {f.user} on {f.agent_id ?? 'no agent'}
                {f.region ? ` (${f.region})` : ''}
              </Text>
            </Group>
            <Text size="sm" c="dimmed" title={f.failed_at}>
              {new Date(f.failed_at).toLocaleString()}
            </Text>
          </Group>
          <Text size="sm" mt={4} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {f.reason ?? 'no reason given'}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
