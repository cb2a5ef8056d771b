/**
 * `streamspace agent list` and `streamspace agent revoke <AGENT_ID>`: admin commands that talk to
 * the control plane's API (STREAMSPACE_URL) with an admin's login token (STREAMSPACE_TOKEN).
 */

interface AgentRow {
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

Environment: STREAMSPACE_URL (default http://localhost:8080), STREAMSPACE_TOKEN (an admin's token
from POST /api/v1/auth/login).
`;

export async function runAgentAdmin(args: string[], env: Record<string, string | undefined> = process.env) {
  const [action, agentId] = args;
  const base = (env.STREAMSPACE_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
  const token = env.STREAMSPACE_TOKEN;
  if (!token) return fail("STREAMSPACE_TOKEN: required, an admin's login token (POST /api/v1/auth/login)", 2);
  if (action === 'revoke' && !agentId) return fail(`streamspace agent revoke: name the agent\n\n${USAGE}`, 2);

  const call = async (method: string, path: string) => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    } catch (error) {
      return fail(`cannot reach the control plane at ${base} (STREAMSPACE_URL): ${(error as Error).message}`, 1);
    }
    const body = (await response.json().catch(() => ({}))) as unknown;
    if (!response.ok) {
      const message = (body as { message?: string }).message ?? response.statusText;
      return fail(`${method} ${path}: ${response.status} ${message}`, 1);
    }
    return body;
  };

  if (action === 'list') {
    const agents = (await call('GET', '/api/v1/agents')) as AgentRow[];
    process.stdout.write(formatAgents(agents));
    return;
  }
  const revoked = (await call('POST', `/api/v1/agents/${encodeURIComponent(agentId!)}/revoke`)) as AgentRow;
  process.stdout.write(
    `agent ${revoked.agent_id} revoked at ${revoked.revoked_at}: disconnected, and it cannot register again\n`,
  );
}

export function formatAgents(agents: AgentRow[]): string {
  const rows = [
    ['AGENT_ID', 'PLATFORM', 'STATUS', 'ENROLLED', 'FROM', 'LAST SEEN', 'LAST ADDRESS'],
    ...agents.map((a) => [
      a.agent_id,
      a.platform,
      a.revoked_at ? `revoked by ${a.revoked_by ?? '?'}` : a.status,
      a.enrolled_at ?? (a.enrolled ? 'yes' : 'no'),
      a.enrolled_from ?? '-',
      a.last_heartbeat ?? '-',
      a.last_address ?? '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
