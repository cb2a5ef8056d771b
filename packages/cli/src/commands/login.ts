import { parseArgs } from 'node:util';
import { ApiClient, CliError } from '../client/api-client.js';
import {
  configPath,
  forgetStoredLogin,
  readStoredLogin,
  resolveTarget,
  writeStoredLogin,
} from '../client/config-file.js';
import { Prompter } from '../client/prompt.js';

interface Me {
  username: string;
  role: string;
}
interface LoginAnswer {
  token?: string;
  expires_at?: string;
  user?: Me;
  mfa_required?: boolean;
  mfa_token?: string;
}

/**
 * `streamspace login [--url URL] [--username NAME] [--token TOKEN]`: signs in with a username and
 * password (and an MFA code when the server asks for one), or checks an API token, and stores the
 * URL and token in the config file for the other commands.
 */
export async function runLogin(args: string[], env = process.env): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, token: { type: 'string' }, username: { type: 'string' } },
  });
  const path = configPath(env);
  const stored = await readStoredLogin(path).catch(() => undefined);
  const url = (values.url ?? resolveTarget(env, stored).url).replace(/\/+$/, '');
  const client = new ApiClient({ url, token: undefined, tokenSource: undefined });

  let token = values.token?.trim();
  let expiresAt: string | undefined;
  if (!token) {
    const prompter = new Prompter();
    try {
      const username = values.username ?? (await prompter.ask('Username: '));
      const password = await prompter.ask('Password: ', { secret: true });
      let answer = await client.call<LoginAnswer>('POST', '/api/v1/auth/login', { username, password });
      if (answer.mfa_required) {
        const code = await prompter.ask('Two-factor code (or a recovery code): ', { secret: true });
        answer = await client.call<LoginAnswer>('POST', '/api/v1/auth/mfa', { mfa_token: answer.mfa_token, code });
      }
      if (!answer.token) throw new CliError(`the server at ${url} answered the login without a token`);
      token = answer.token;
      expiresAt = answer.expires_at;
    } finally {
      prompter.close();
    }
  }
  // Checked before it is stored, so a mistyped token or URL fails here and not at the next command.
  const me = await client.call<Me>('GET', '/api/v1/users/me', undefined, token);
  await writeStoredLogin(path, { url, token, username: me.username });
  process.stdout.write(`Logged in to ${url} as ${me.username} (${me.role}); saved in ${path}\n`);
  if (expiresAt) {
    process.stdout.write(
      `This login ends at ${expiresAt}; for scripts, create an API token on the Account page and use streamspace login --token\n`,
    );
  }
}

/** `streamspace logout`: forgets the stored login (an API token stays valid until it is revoked). */
export async function runLogout(env = process.env): Promise<void> {
  const path = configPath(env);
  const existed = await forgetStoredLogin(path);
  process.stdout.write(existed ? `Removed the login stored in ${path}\n` : `No login stored in ${path}\n`);
}
