import { createServer } from 'node:net';
import type { Check } from './check.js';

const PROBE_TIMEOUT_MS = 2000;

/**
 * Whether the control plane could listen on `port` (at `host`, as it would), and when it could not,
 * what holds the port: a StreamSpace control plane answering `probe`, or something else. A running
 * StreamSpace on its own port is fine, not a problem.
 */
export async function portCheck(
  variable: 'PORT' | 'METRICS_PORT',
  port: number,
  host: string,
  isStreamSpace: (port: number) => Promise<boolean>,
): Promise<Check> {
  const name = `${variable} ${port}`;
  if (port === 0) return { name, status: 'ok', detail: 'a free port is picked at start' };
  const error = await tryListen(port, host);
  if (!error) return { name, status: 'ok', detail: `free on ${host}` };
  if (error.code === 'EADDRINUSE') {
    if (await isStreamSpace(port).catch(() => false)) {
      return { name, status: 'ok', detail: 'in use by a running StreamSpace control plane' };
    }
    return {
      name,
      status: 'problem',
      detail: 'in use by another program (not a StreamSpace control plane)',
      fix: `stop that program, or set ${variable}=<a free port> (e.g. ${variable}=${port + 1})`,
    };
  }
  return {
    name,
    status: 'problem',
    detail: `cannot listen on ${host}:${port}: ${error.message}`,
    fix: `set ${variable}=<a port above 1023>, or HOST to an address of this machine`,
  };
}

function tryListen(port: number, host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  return { status: response.status, text: await response.text() };
}

/** The control plane's liveness answer, `{"status":"healthy"}` at /health. */
export async function answersHealth(port: number): Promise<boolean> {
  const { status, text } = await fetchText(`http://127.0.0.1:${port}/health`);
  return status === 200 && (JSON.parse(text) as { status?: unknown }).status === 'healthy';
}

/** The control plane's Prometheus listener: its metrics are named streamspace_…. */
export async function answersMetrics(port: number): Promise<boolean> {
  const { status, text } = await fetchText(`http://127.0.0.1:${port}/metrics`);
  return status === 200 && /^streamspace_/m.test(text.replace(/^# (HELP|TYPE) /gm, ''));
}
