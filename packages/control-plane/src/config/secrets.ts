import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlPlaneConfig } from './config.js';

export interface Secrets {
  jwtSecret: string;
  agentToken: string;
  /** Where a generated secret was kept, to tell the operator. */
  generated: { jwtSecretFile?: string; agentTokenFile?: string };
}

/**
 * Fills in the secrets embedded mode may generate. They are kept in the data dir (mode 0600) so a
 * restart keeps tokens valid and the in-process agent's token stable. PostgreSQL mode never gets
 * here without both set: loadConfig refuses to start.
 */
export async function resolveSecrets(config: ControlPlaneConfig): Promise<Secrets> {
  const generated: Secrets['generated'] = {};
  const jwtSecret =
    config.jwtSecret ?? (await keptSecret(config.dataDir, 'jwt-secret', 32, (f) => (generated.jwtSecretFile = f)));
  const agentToken =
    config.agentToken ?? (await keptSecret(config.dataDir, 'agent-token', 24, (f) => (generated.agentTokenFile = f)));
  return { jwtSecret, agentToken, generated };
}

async function keptSecret(dataDir: string, name: string, bytes: number, onFile: (file: string) => void) {
  const file = join(dataDir, name);
  onFile(file);
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept.length > 0) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(bytes).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
