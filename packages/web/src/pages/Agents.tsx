import { useEffect } from 'react';
import { api } from '../api.js';
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
  enrolled: boolean;
  enrolled_at: string | null;
  enrolled_from: string | null;
  last_address: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

const unlimited = (n: number | undefined) => (n ? String(n) : '∞');
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '–');
const age = (iso: string | null) =>
  iso ? `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} s ago` : 'never';

/** Admin view of the agents: what the scheduler sees when it places sessions, who enrolled when
 * and from where, and revocation (the agent is disconnected at once and its id never comes back). */
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
            <th>Enrolled</th>
            <th>Last address</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.agent_id} data-agent={a.agent_id} data-status={a.revoked_at ? 'revoked' : a.status}>
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
              <td title={a.enrolled_from ? `from ${a.enrolled_from}` : ''}>
                {a.enrolled ? when(a.enrolled_at) : a.revoked_at ? '–' : 'not enrolled'}
              </td>
              <td>{a.last_address ?? '–'}</td>
              <td>
                {a.revoked_at ? (
                  <span title={`by ${a.revoked_by ?? '?'}`}>revoked {when(a.revoked_at)}</span>
                ) : (
                  <button
                    type="button"
                    onClick={() => {
                      if (!confirm(`Revoke agent ${a.agent_id}? It is disconnected now and can never register again.`))
                        return;
                      void run(() => api('POST', `/api/v1/agents/${encodeURIComponent(a.agent_id)}/revoke`));
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  );
}
