import { rmSync } from 'node:fs';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STREAMSPACE } from './streamspace-command.js';

const CREDENTIALS = join(tmpdir(), `streamspace-test-credentials-${process.pid}`);
let cleanup = false;

/**
 * Where a test agent keeps its credential: this test process's temp dir (never the real home),
 * so a restarted agent of the same id comes back as itself; removed when the process exits.
 */
export function testCredentialFile(agentId: string): string {
  if (!cleanup) {
    cleanup = true;
    process.on('exit', () => rmSync(CREDENTIALS, { recursive: true, force: true }));
  }
  return join(CREDENTIALS, `${agentId}.credential`);
}

/** `streamspace agent docker|kubernetes` as its own process, as an operator runs it on another host. */
export class AgentProcess {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static credentialFile(agentId: string): string {
    return testCredentialFile(agentId);
  }

  static start(env: Record<string, string>, platform: 'docker' | 'kubernetes' = 'docker'): AgentProcess {
    const { PATH, HOME } = process.env;
    const credential = { AGENT_CREDENTIAL_FILE: AgentProcess.credentialFile(env.AGENT_ID ?? 'agent') };
    return new AgentProcess(
      spawn(process.execPath, [STREAMSPACE, 'agent', platform], { env: { PATH, HOME, ...credential, ...env } }),
    );
  }

  /** Resolves when the agent has logged `text` (its log is one JSON line per event). */
  waitForLog(text: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.output.includes(text)) {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve();
        }
      };
      const timer = setInterval(check, 20);
      const deadline = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`agent did not log "${text}" within ${timeoutMs} ms; output:\n${this.output.slice(-2000)}`));
      }, timeoutMs);
      check();
    });
  }

  /** SIGKILL: the process dies mid-whatever, as in a node failure. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
