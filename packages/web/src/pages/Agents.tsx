import { useEffect } from 'react';
import { Button, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { api } from '../api.js';
import { AdminPage, useAdminList } from './admin-page.js';
import { AgentCapacityBars, AgentStatusBadge, heartbeatAge, type Agent } from './agent-capacity.js';
import { useConfirm } from './confirm-action.js';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '–');

/** Admin view of the agents: what the scheduler sees when it places sessions, who enrolled when
 * and from where, and revocation (the agent is disconnected at once and its id never comes back). */
export function Agents() {
  const { items: agents, loaded, error, run } = useAdminList<Agent>('/api/v1/agents');
  const { ask, dialog } = useConfirm();
  useEffect(() => {
    // Heartbeat ages move every second and load arrives in heartbeats (no stream); the list is small.
    const timer = setInterval(() => void run(), 5000);
    return () => clearInterval(timer);
  }, [run]);
  const revoke = async (agent: Agent) => {
    const yes = await ask(
      `Revoke agent ${agent.agent_id}?`,
      'It is disconnected now and its id can never register again; its sessions move to another agent of its pool or fail.',
      'Revoke agent',
    );
    if (yes) await run(() => api('POST', `/api/v1/agents/${encodeURIComponent(agent.agent_id)}/revoke`));
  };
  return (
    <AdminPage
      title="Agents"
      description="Where sessions run: status, load against capacity, enrollment."
      error={error}
    >
      {dialog}
      {loaded && agents.length === 0 && (
        <Text c="dimmed">
          No agent has registered yet. Start one with <code>npx streamspace agent docker</code>.
        </Text>
      )}
      <Table.ScrollContainer minWidth={1100}>
        <Table striped highlightOnHover verticalSpacing="sm" aria-label="Agents">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Agent</Table.Th>
              <Table.Th>Platform</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Region</Table.Th>
              <Table.Th>Pool</Table.Th>
              <Table.Th w={220}>Load</Table.Th>
              <Table.Th>Last heartbeat</Table.Th>
              <Table.Th>Enrolled</Table.Th>
              <Table.Th>Last address</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {agents.map((a) => (
              <Table.Tr key={a.agent_id} data-agent={a.agent_id} data-status={a.revoked_at ? 'revoked' : a.status}>
                <Table.Td fw={500}>{a.agent_id}</Table.Td>
                <Table.Td>{a.platform}</Table.Td>
                <Table.Td>
                  <AgentStatusBadge agent={a} />
                </Table.Td>
                <Table.Td>{a.region ?? '–'}</Table.Td>
                <Table.Td>
                  <Tooltip label="agents of one pool take over each other's sessions">
                    <span>{a.pool ?? '–'}</span>
                  </Tooltip>
                </Table.Td>
                <Table.Td>
                  <AgentCapacityBars agent={a} />
                </Table.Td>
                <Table.Td>{heartbeatAge(a.last_heartbeat)}</Table.Td>
                <Table.Td title={a.enrolled_from ? `from ${a.enrolled_from}` : ''}>
                  {a.enrolled ? when(a.enrolled_at) : a.revoked_at ? '–' : 'not enrolled'}
                </Table.Td>
                <Table.Td>{a.last_address ?? '–'}</Table.Td>
                <Table.Td>
                  {a.revoked_at ? (
                    <Text size="sm" title={`by ${a.revoked_by ?? '?'}`}>
                      revoked {when(a.revoked_at)}
                    </Text>
                  ) : (
                    <Button size="xs" color="red" variant="light" onClick={() => void revoke(a)}>
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </AdminPage>
  );
}
