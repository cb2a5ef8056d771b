import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

export interface Websockify {
  child: ChildProcess;
  port: number;
  stop(): void;
}

/** Whether Debian's websockify is installed (the baseline row needs it; it is skipped without). */
export const websockifyInstalled = () => spawnSync('websockify', ['--help'], { stdio: 'ignore' }).status === 0;

/** A loopback port free a moment ago (another program may still take it: the caller retries). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });

/** websockify on a loopback port, relaying to `host:port` (a session's Xvnc); resolves once it listens. */
export async function startWebsockify(host: string, port: number, attempts = 3): Promise<Websockify> {
  const listen = await freePort();
  const child = spawn('websockify', [`127.0.0.1:${listen}`, `${host}:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const listening = await new Promise<boolean>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve(false));
    const poll = () => {
      if (child.exitCode !== null) return;
      const probe = connect({ host: '127.0.0.1', port: listen }, () => (probe.destroy(), resolve(true)));
      probe.on('error', () => setTimeout(poll, 50));
    };
    poll();
  });
  if (!listening) {
    if (attempts > 1) return startWebsockify(host, port, attempts - 1);
    throw new Error(`websockify did not start: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
  return { child, port: listen, stop: () => void child.kill('SIGTERM') };
}
