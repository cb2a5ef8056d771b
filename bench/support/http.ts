import { ADMIN_PASSWORD } from './control-plane-env.js';

/** Calls the control plane's API and returns parsed JSON (undefined for an empty answer, a 204); anything
 * but 2xx is an error naming the call. */
export async function api<T>(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function loginAsAdmin(baseUrl: string): Promise<string> {
  const { token } = await api<{ token: string }>(baseUrl, 'POST', '/api/v1/auth/login', undefined, {
    username: 'admin',
    password: ADMIN_PASSWORD,
  });
  return token;
}

/** One unlabelled counter from the Prometheus text at /metrics. */
export async function readCounter(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found at ${baseUrl}/metrics`);
  return Number(line.slice(name.length + 1));
}
