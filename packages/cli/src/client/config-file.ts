import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `streamspace login` keeps: where the control plane is and the token to call it with. */
export interface StoredLogin {
  url: string;
  token: string;
  username?: string;
}

export const DEFAULT_URL = 'http://localhost:8080';

type Env = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/streamspace/config.json`, else `~/.config/streamspace/config.json`. */
export function configPath(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'streamspace', 'config.json');
}

export async function readStoredLogin(path: string): Promise<StoredLogin | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredLogin>;
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') throw new Error('url or token missing');
    return parsed as StoredLogin;
  } catch (error) {
    throw new Error(`${path} is not a streamspace config (${(error as Error).message}); run streamspace login again`, {
      cause: error,
    });
  }
}

/** Written readable by the owner alone (0600, its directory 0700): the token is a credential. */
export async function writeStoredLogin(path: string, login: StoredLogin): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await chmod(dirname(path), 0o700);
  // Mode at creation so the token is never readable by others, even for a moment; chmod for a file
  // that already existed with a wider mode.
  await writeFile(path, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function forgetStoredLogin(path: string): Promise<boolean> {
  const existed = (await readStoredLogin(path).catch(() => undefined)) !== undefined;
  await rm(path, { force: true });
  return existed;
}

/** Where requests go and with which token, and where each came from (for error messages). */
export interface Target {
  url: string;
  token: string | undefined;
  tokenSource: 'STREAMSPACE_TOKEN' | 'config' | undefined;
}

/**
 * Environment first, then the config file. The stored token is used only with the URL it was
 * stored for: STREAMSPACE_URL pointing elsewhere must not send it to another server.
 */
export function resolveTarget(env: Env, stored: StoredLogin | undefined): Target {
  const url = (env.STREAMSPACE_URL?.trim() || stored?.url || DEFAULT_URL).replace(/\/+$/, '');
  const envToken = env.STREAMSPACE_TOKEN?.trim();
  if (envToken) return { url, token: envToken, tokenSource: 'STREAMSPACE_TOKEN' };
  if (stored && stored.url.replace(/\/+$/, '') === url) return { url, token: stored.token, tokenSource: 'config' };
  return { url, token: undefined, tokenSource: undefined };
}
