import { loadConfig, startControlPlane, type ControlPlane } from '@streamspace/control-plane';
import { onShutdown } from '../signals.js';

/** `streamspace server`: the control plane from the environment. */
export async function runServer(): Promise<void> {
  const controlPlane = await startServer('server');
  onShutdown(
    () => controlPlane.stop(),
    (m) => controlPlane.logger.info(m),
  );
}

/** Starts the control plane and prints where it is; exits 1 naming the problem when it cannot. */
export async function startServer(mode: 'server' | 'up'): Promise<ControlPlane> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${problem}\n`);
    process.stderr.write('streamspace: configuration invalid; see the configuration table in README.md\n');
    process.exit(1);
  }
  let controlPlane: ControlPlane;
  try {
    controlPlane = await startControlPlane(loaded.config);
  } catch (error) {
    process.stderr.write(`streamspace: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  printBanner(controlPlane, mode);
  return controlPlane;
}

function printBanner(cp: ControlPlane, mode: string) {
  const { config, admin, secrets } = cp;
  const base = config.publicUrl.includes('localhost') ? `http://localhost:${cp.port}` : config.publicUrl;
  const lines = [
    '',
    `StreamSpace control plane (${mode}) is running`,
    `  UI and API:   ${base}   (API under /api/v1, docs at ${base}/api/docs)`,
    `  Agents dial:  ${base.replace(/^http/, 'ws')}/agent/ws`,
    `  Database:     ${config.database.kind === 'pglite' ? `embedded PGlite in ${config.database.dataDir}` : 'PostgreSQL'}`,
  ];
  if (admin.kind === 'generated') {
    lines.push(`  Admin login:  ${admin.username} / the password in ${admin.passwordFile}`);
  } else if (admin.kind === 'from-env') {
    lines.push(`  Admin login:  ${admin.username} / the ADMIN_PASSWORD you set`);
  } else {
    lines.push(
      `  Admin login:  ${admin.username} (password unchanged; first-start password file: ${config.dataDir}/admin-password)`,
    );
  }
  if (secrets.generated.agentTokenFile) lines.push(`  Agent token:  in ${secrets.generated.agentTokenFile}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}
