#!/usr/bin/env node
import { runServer } from './commands/server.js';

const USAGE = `Usage: streamspace <command>

Commands:
  up       all-in-one: control plane with an embedded database (the quickest start)
  server   the control plane alone (set DATABASE_URL for PostgreSQL)
  help     this text

Configuration comes from environment variables; README.md lists them all.
`;

const [command] = process.argv.slice(2);
switch (command) {
  case 'up':
  case 'server':
    await runServer(command);
    break;
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`streamspace: unknown command "${command}"\n\n${USAGE}`);
    process.exit(2);
}
