import { useEffect } from 'react';
import { AdminPage, useAdminList } from './admin-page.js';

interface Agent {
  agent_id: string;
  platform: string;
  status: string;
  status_reason: string | null;
  region: string | null;
  pool: string | null;
  capacity: { max_sessions?: number; max_cpu?: number; max_memory_gb?: number } | null;
  sessions: number;
  last_heartbeat: string | null;
}

const unlimited = (n: number | undefined) => (n ? String(n) : '∞');
const age = (iso: string | null) =>
  iso ? `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} s ago` : 'never';

/** Admin view of the agents: what the scheduler sees when it places sessions. */
export function Agents() {
  const { items: agents, error, run } = useAdminList<Agent>('/api/v1/agents');
  useEffect(() => {
    // Heartbeat ages move every second; the list itself is small.
    const timer = setInterval(() => void run(), 5000);
    return () => clearInterval(timer);
  }, [run]);
  return (
    <AdminPage title="Agents" error={error}>
      <table className="agents">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Platform</th>
            <th>Status</th>
            <th>Region</th>
            <th>Pool</th>
            <th>Sessions / max</th>
            <th>CPU / memory max</th>
            <th>Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.agent_id} data-agent={a.agent_id} data-status={a.status}>
              <td>{a.agent_id}</td>
              <td>{a.platform}</td>
              <td title={a.status_reason ?? ''}>{a.status}</td>
              <td>{a.region ?? '–'}</td>
              <td title="agents of one pool take over each other's sessions">{a.pool ?? '–'}</td>
              <td>
                {a.sessions} / {unlimited(a.capacity?.max_sessions)}
              </td>
              <td>
                {unlimited(a.capacity?.max_cpu)} cores / {unlimited(a.capacity?.max_memory_gb)} GB
              </td>
              <td>{age(a.last_heartbeat)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  );
}
