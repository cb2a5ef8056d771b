import { performance } from 'node:perf_hooks';

export interface OnlineCheck {
  online: number;
  listed: number;
  /** How long GET /api/v1/agents took and how big it was: it lists every agent, unpaginated. */
  ms: number;
  bytes: number;
}

/** Asks the control plane, as admin, how many of the bench's agents it has online. */
export async function checkOnline(baseUrl: string, token: string): Promise<OnlineCheck> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`GET /api/v1/agents: ${response.status} ${text.slice(0, 300)}`);
  const agents = (JSON.parse(text) as Array<{ agent_id: string; status: string }>).filter((a) =>
    a.agent_id.startsWith('bench-agent-'),
  );
  return {
    online: agents.filter((a) => a.status === 'online').length,
    listed: agents.length,
    ms,
    bytes: Buffer.byteLength(text),
  };
}
