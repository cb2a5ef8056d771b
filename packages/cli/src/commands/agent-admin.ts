/**
 * `streamspace agent list` and `streamspace agent revoke <AGENT_ID>`: admin commands that talk to
 * the control plane's API with an admin's token (STREAMSPACE_URL / STREAMSPACE_TOKEN, or what
 * `streamspace login` stored).
 */
import { ApiClient, CliError } from '../client/api-client.js';
import { formatTable } from '../client/table.js';

export interface AgentRow {
  agent_id: string;
  platform: string;
  status: string;
  enrolled: boolean;
  enrolled_at: string | null;
  enrolled_from: string | null;
  last_heartbeat: string | null;
  last_address: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

const USAGE = `Usage: streamspace agent list
       streamspace agent revoke <AGENT_ID>

Environment: STREAMSPACE_URL (default http://localhost:8080), STREAMSPACE_TOKEN (an admin's token);
without them, what streamspace login stored.
`;

export async function runAgentAdmin(args: string[], env: Record<string, string | undefined> = process.env) {
  const [action, agentId] = args;
  const client = await ApiClient.loggedIn(env);
  if (action === 'list') {
    process.stdout.write(formatAgents(await client.call<AgentRow[]>('GET', '/api/v1/agents')));
    return;
  }
  if (!agentId) throw new CliError(`streamspace agent revoke: name the agent\n\n${USAGE}`, 2);
  const revoked = await client.call<AgentRow>('POST', `/api/v1/agents/${encodeURIComponent(agentId)}/revoke`);
  process.stdout.write(
    `agent ${revoked.agent_id} revoked at ${revoked.revoked_at}: disconnected, and it cannot register again\n`,
  );
}

export function formatAgents(agents: AgentRow[]): string {
  return formatTable(
    ['AGENT_ID', 'PLATFORM', 'STATUS', 'ENROLLED', 'FROM', 'LAST SEEN', 'LAST ADDRESS'],
    agents.map((a) => [
      a.agent_id,
      a.platform,
      a.revoked_at ? `revoked by ${a.revoked_by ?? '?'}` : a.status,
      a.enrolled_at ?? (a.enrolled ? 'yes' : 'no'),
      a.enrolled_from,
      a.last_heartbeat,
      a.last_address,
    ]),
  );
}
