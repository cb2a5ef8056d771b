import { parseArgs } from 'node:util';
import { ApiClient, CliError } from '../client/api-client.js';
import { formatTable } from '../client/table.js';
import { CLIENT_USAGE } from './client-usage.js';
import { formatAgents, type AgentRow } from './agent-admin.js';

interface SessionRow {
  id: string;
  user: string;
  template: string;
  state: string;
  state_reason: string | null;
  region: string | null;
  agent_id: string | null;
  state_changed_at: string;
}
interface TemplateRow {
  name: string;
  display_name: string;
  description: string;
  platform: string;
}
interface UserRow {
  username: string;
  role: string;
  disabled: boolean;
  display_name: string | null;
  email: string | null;
  created_at: string;
}

/** PATCH state each session action asks for (session-state.ts: what a user may request). */
const SESSION_STATE_ACTIONS: Record<string, 'stopped' | 'hibernated' | 'running'> = {
  stop: 'stopped',
  hibernate: 'hibernated',
  resume: 'running',
};

const sessionTable = (sessions: SessionRow[]) =>
  formatTable(
    ['ID', 'TEMPLATE', 'STATE', 'USER', 'AGENT', 'SINCE', 'REASON'],
    sessions.map((s) => [s.id, s.template, s.state, s.user, s.agent_id, s.state_changed_at, s.state_reason]),
  );

/**
 * `streamspace sessions|templates|users|agents …`: the API for people who script, as a table or
 * (`--json`) the API's own JSON.
 */
export async function runResource(resource: string, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, region: { type: 'string' } },
  });
  const [action, arg] = positionals;
  const client = await ApiClient.loggedIn();
  const print = <T>(data: T, table: (data: T) => string): void => {
    process.stdout.write(values.json ? `${JSON.stringify(data, null, 2)}\n` : table(data));
  };
  const need = (what: string) => {
    if (!arg) throw new CliError(`${action}: name the ${what}`, 2);
    return arg;
  };
  const sessionPath = () => `/api/v1/sessions/${encodeURIComponent(need('session id'))}`;

  if (resource === 'sessions') {
    if (action === 'list') return print(await client.call<SessionRow[]>('GET', '/api/v1/sessions'), sessionTable);
    if (action === 'create') {
      const body = { template: need('template'), ...(values.region ? { region: values.region } : {}) };
      return print([await client.call<SessionRow>('POST', '/api/v1/sessions', body)], sessionTable);
    }
    const state = SESSION_STATE_ACTIONS[action ?? ''];
    if (state) {
      const session = await client.call<SessionRow>('PATCH', sessionPath(), { state });
      return print([session], sessionTable);
    }
    if (action === 'delete') {
      return print([await client.call<SessionRow>('DELETE', sessionPath())], sessionTable);
    }
  } else if (action === 'list') {
    if (resource === 'templates') {
      return print(await client.call<TemplateRow[]>('GET', '/api/v1/templates'), (templates) =>
        formatTable(
          ['NAME', 'DISPLAY NAME', 'PLATFORM', 'DESCRIPTION'],
          templates.map((t) => [t.name, t.display_name, t.platform, t.description]),
        ),
      );
    }
    if (resource === 'users') {
      return print(await client.call<UserRow[]>('GET', '/api/v1/users'), (users) =>
        formatTable(
          ['USERNAME', 'ROLE', 'STATUS', 'DISPLAY NAME', 'EMAIL', 'CREATED'],
          users.map((u) => [
            u.username,
            u.role,
            u.disabled ? 'disabled' : 'active',
            u.display_name,
            u.email,
            u.created_at,
          ]),
        ),
      );
    }
    if (resource === 'agents') return print(await client.call<AgentRow[]>('GET', '/api/v1/agents'), formatAgents);
  }
  throw new CliError(`unknown action ${JSON.stringify(action ?? '')}\n\n${CLIENT_USAGE}`, 2);
}
