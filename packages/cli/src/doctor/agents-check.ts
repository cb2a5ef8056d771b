import { ApiClient } from '../client/api-client.js';
import { configPath, readStoredLogin, resolveTarget } from '../client/config-file.js';
import type { AgentRow } from '../commands/agent-admin.js';
import type { Check } from './check.js';

type Env = Record<string, string | undefined>;

const HOW_TO_CHECK =
  'streamspace login (or set STREAMSPACE_URL and STREAMSPACE_TOKEN), then streamspace doctor again;\n' +
  'or: npx streamspace agent list';

/**
 * The enrolled agents, when a control plane and a token are known (STREAMSPACE_URL and
 * STREAMSPACE_TOKEN, or `streamspace login`'s): every agent not online is a problem, with when it
 * was last seen. Without them the check is skipped, since doctor may run before anything is up.
 */
export async function agentsCheck(env: Env, now = new Date()): Promise<Check> {
  let stored;
  try {
    stored = await readStoredLogin(configPath(env));
  } catch (error) {
    return { name: 'agents', status: 'problem', detail: (error as Error).message, fix: 'streamspace login' };
  }
  const target = resolveTarget(env, stored);
  if (!env.STREAMSPACE_URL?.trim() && !stored) {
    return { name: 'agents', status: 'skipped', detail: 'no control plane known', fix: HOW_TO_CHECK };
  }
  if (!target.token) {
    return { name: 'agents', status: 'skipped', detail: `not logged in to ${target.url}`, fix: HOW_TO_CHECK };
  }
  let agents: AgentRow[];
  try {
    agents = await new ApiClient(target).call<AgentRow[]>('GET', '/api/v1/agents');
  } catch (error) {
    return {
      name: 'agents',
      status: 'problem',
      detail: `cannot list the agents of ${target.url}: ${(error as Error).message.split('\n').join('; ')}`,
      fix: `start the control plane (npx streamspace up), or log in again: streamspace login`,
    };
  }
  const active = agents.filter((a) => !a.revoked_at);
  if (active.length === 0) {
    return {
      name: 'agents',
      status: 'problem',
      detail: `no agent is enrolled at ${target.url}`,
      fix: `CONTROL_PLANE_URL=${target.url} AGENT_TOKEN=… npx streamspace agent docker (npx streamspace up runs one)`,
    };
  }
  const offline = active.filter((a) => a.status !== 'online');
  const online = active.length - offline.length;
  if (offline.length === 0) {
    return { name: 'agents', status: 'ok', detail: `${online} online at ${target.url}` };
  }
  return {
    name: 'agents',
    status: 'problem',
    detail:
      `${offline.map((a) => `${a.agent_id} ${a.status}, ${lastSeen(a.last_heartbeat, now)}`).join('; ')}` +
      ` (${online} online at ${target.url})`,
    fix:
      `start the agent again where it runs (npx streamspace agent docker, or npx streamspace up), and read its log;\n` +
      `an agent no longer used: npx streamspace agent revoke <AGENT_ID>`,
  };
}

/** "last seen 5 min ago (2026-11-30T09:00:00.000Z)", or "never seen". */
export function lastSeen(heartbeat: string | null, now: Date): string {
  if (!heartbeat) return 'never seen';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(heartbeat).getTime()) / 1000));
  const ago =
    seconds < 120
      ? `${seconds}s`
      : seconds < 7200
        ? `${Math.round(seconds / 60)} min`
        : seconds < 172_800
          ? `${Math.round(seconds / 3600)} h`
          : `${Math.round(seconds / 86_400)} days`;
  return `last seen ${ago} ago (${heartbeat})`;
}
