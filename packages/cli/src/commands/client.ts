import { CliError } from '../client/api-client.js';
import { CLIENT_USAGE } from './client-usage.js';

/** Runs one API command; a failure prints the server's message and exits non-zero. */
export async function runClientCommand(command: string, args: string[]): Promise<void> {
  try {
    if (command === 'login') await (await import('./login.js')).runLogin(args);
    else if (command === 'logout') await (await import('./login.js')).runLogout();
    else if (command === 'agent') await (await import('./agent-admin.js')).runAgentAdmin(args);
    else await (await import('./resources.js')).runResource(command, args);
  } catch (error) {
    const usage = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`streamspace ${command}: ${(error as Error).message}\n${usage ? `\n${CLIENT_USAGE}` : ''}`);
    process.exit(error instanceof CliError ? error.exitCode : usage ? 2 : 1);
  }
}
