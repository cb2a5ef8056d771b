#!/usr/bin/env node
// Each command is imported when it runs, so the agent image need not carry the control plane's
// dependencies, nor the control-plane image the agent's.

import { CLIENT_USAGE } from './commands/client-usage.js';

const USAGE = `Usage: streamspace <command>

Commands:
  up                         all-in-one: control plane (embedded database) and a Docker agent
  server                     the control plane alone (set DATABASE_URL for PostgreSQL)
  agent docker               an agent for the local Docker/podman, dialling CONTROL_PLANE_URL
  agent kubernetes           an agent running sessions as Deployments in NAMESPACE (in-cluster or KUBECONFIG)
  agent list                 enrolled agents: when and where from they enrolled, last seen, last address
  agent revoke AGENT_ID      revoke an agent: disconnected at once, never registers again
                             (both need an admin's login)
  image build [name…]        build images: session images (${'xterm, firefox-browser, desktop'}, the
                             default) and control-plane, agent (tagged :latest and the release version)
        [--cache-dir DIR]    reuse/keep built images as archives keyed by recipe hash
  doctor [--json] [--images NAME,…]
                             check the container engine, images, ports, database and agents;
                             prints each problem with the command that fixes it (exit 1 if any)
  help                       this text

${CLIENT_USAGE}
Configuration comes from environment variables; README.md lists them all.
`;

const IMAGE_BUILD_USAGE = `Usage: streamspace image build [name…] [--cache-dir DIR]

Builds the session images (${'xterm, firefox-browser, desktop'}, the default) and control-plane, agent
with podman or docker; an image whose recipe is unchanged is not rebuilt. --cache-dir DIR keeps and
reuses built images as archives keyed by recipe hash.
`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'login':
  case 'logout':
  case 'sessions':
  case 'templates':
  case 'users':
  case 'agents':
    await (await import('./commands/client.js')).runClientCommand(command, rest);
    break;
  case 'up':
    await (await import('./commands/up.js')).runUp();
    break;
  case 'server':
    await (await import('./commands/server.js')).runServer();
    break;
  case 'agent':
    if (rest[0] === 'list' || rest[0] === 'revoke') {
      await (await import('./commands/client.js')).runClientCommand(command, rest);
    } else {
      await (await import('./commands/agent.js')).runAgent(rest[0]);
    }
    break;
  case 'image': {
    if (rest[0] !== 'build') {
      process.stderr.write(`streamspace image: expected "build", got ${JSON.stringify(rest[0] ?? '')}\n`);
      process.exit(2);
    }
    const args = rest.slice(1);
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(IMAGE_BUILD_USAGE);
      break;
    }
    const cacheAt = args.indexOf('--cache-dir');
    const cacheDir = cacheAt >= 0 ? args[cacheAt + 1] : undefined;
    const names = args.filter((a, i) => a !== '--cache-dir' && (cacheAt < 0 || i !== cacheAt + 1));
    try {
      const { buildImages } = await import('./commands/image-build.js');
      await buildImages({ names, ...(cacheDir ? { cacheDir } : {}) });
    } catch (error) {
      process.stderr.write(`streamspace image build: ${(error as Error).message}\n`);
      process.exit(1);
    }
    break;
  }
  case 'doctor':
    process.exitCode = await (await import('./commands/doctor.js')).runDoctor(rest);
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
