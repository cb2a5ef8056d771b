import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CREDENTIAL_PREFIX, credentialProblem } from '@streamspace/protocol';

/** The agent's own credential and whether this start created it (so it still has to enroll). */
export interface AgentCredential {
  value: string;
  created: boolean;
  /** A warning about the file (readable by others), for the log. */
  warning: string | undefined;
}

export class CredentialFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`AGENT_CREDENTIAL_FILE ${file}: ${message}`, options);
    this.name = 'CredentialFileError';
  }
}

/**
 * Reads the agent's credential, or creates one. The secret is made here and written (mode 0600,
 * exclusively) BEFORE the agent enrolls it, as a kubelet makes its key before its CSR: an agent
 * killed mid-enrollment still holds the secret the control plane may have stored, so no crash can
 * lock it out of its own id. The control plane keeps only its SHA-256.
 */
export async function loadOrCreateCredential(file: string): Promise<AgentCredential> {
  try {
    return await readCredential(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw asFileError(file, error);
  }
  const value = `${CREDENTIAL_PREFIX}${randomBytes(32).toString('base64url')}`;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${value}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask cannot widen 0600, but a pre-set ACL or odd umask handling could: set it explicitly.
    await chmod(file, 0o600);
    return { value, created: true, warning: undefined };
  } catch (error) {
    // Another agent process with the same file won the race: use what it wrote.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readCredential(file).catch((e) => {
        throw asFileError(file, e);
      });
    throw asFileError(file, error);
  }
}

async function readCredential(file: string): Promise<AgentCredential> {
  const value = (await readFile(file, 'utf8')).trim();
  const problem = credentialProblem(value);
  if (problem) {
    throw new CredentialFileError(
      file,
      `${problem}; restore the file this agent enrolled with, or (a new host) remove it to enroll a new AGENT_ID`,
    );
  }
  const mode = (await stat(file)).mode;
  const warning =
    (mode & 0o004) !== 0
      ? `AGENT_CREDENTIAL_FILE ${file} is readable by every user (mode ${(mode & 0o777).toString(8)}); chmod 600 it`
      : undefined;
  return { value, created: false, warning };
}

function asFileError(file: string, error: unknown): Error {
  if (error instanceof CredentialFileError) return error;
  return new CredentialFileError(file, (error as Error).message, { cause: error });
}
