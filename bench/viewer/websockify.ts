import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

export interface Websockify {
  child: ChildProcess;
  port: number;
  stop(): void;
}

/** Whether Debian's websockify is installed (the baseline row needs it; it is skipped without). */
export const websockifyInstalled = () => spawnSync('websockify', ['--help'], { stdio: 'ignore' }).status === 0;

/** websockify on a loopback port, relaying to `host:port` (a session's Xvnc); resolves once it listens. */
export async function startWebsockify(host: string, port: number): Promise<Websockify> {
  const listen = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('websockify', [`127.0.0.1:${listen}`, `${host}:${port}`], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`websockify exited with ${code}`)));
    const poll = () => {
      const probe = connect({ host: '127.0.0.1', port: listen }, () => (probe.destroy(), resolve()));
      probe.on('error', () => setTimeout(poll, 50));
    };
    poll();
  });
  return { child, port: listen, stop: () => void child.kill('SIGTERM') };
}
