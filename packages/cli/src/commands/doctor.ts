import { loadConfig, SETTINGS } from '@streamspace/control-plane';
import { SESSION_IMAGES } from '../images/catalog.js';
import { agentsCheck } from '../doctor/agents-check.js';
import { exitCodeOf, formatChecks, type Check } from '../doctor/check.js';
import { databaseCheck } from '../doctor/database-check.js';
import { engineChecks } from '../doctor/engine-checks.js';
import { answersHealth, answersMetrics, portCheck } from '../doctor/port-checks.js';

type Env = Record<string, string | undefined>;

export const DOCTOR_USAGE = `Usage: streamspace doctor [--json] [--images NAME,…]

Checks the container engine, the session images (--images: only these; default ${SESSION_IMAGES.join(', ')}),
PORT and METRICS_PORT, the database and the agents; prints each problem with the command that fixes it.
Exit code 0 when nothing is wrong, 1 when something is.
`;

/** Every check, in the order a newcomer fixes things: engine and images, ports, database, agents. */
export async function runChecks(env: Env, images: readonly string[]): Promise<Check[]> {
  // Under `streamspace up` (what a newcomer runs) missing images are built on demand unless this is false.
  const buildsOnDemand = env.IMAGE_BUILD_ON_DEMAND?.trim().toLowerCase() !== 'false';
  const checks = await engineChecks(env.DOCKER_HOST?.trim() || undefined, images, buildsOnDemand);
  const port = SETTINGS.port.parse(env.PORT);
  const metricsPort = SETTINGS.metricsPort.parse(env.METRICS_PORT);
  const host = SETTINGS.host.parse(env.HOST);
  const hostName = 'value' in host ? host.value : '0.0.0.0';
  if ('value' in port) checks.push(await portCheck('PORT', port.value, hostName, answersHealth));
  if ('value' in metricsPort) checks.push(await portCheck('METRICS_PORT', metricsPort.value, hostName, answersMetrics));
  const config = loadConfig(env);
  if (config.ok) {
    checks.push(await databaseCheck(config.config));
  } else {
    checks.push({
      name: 'configuration',
      status: 'problem',
      detail: config.problems.join('; '),
      fix: 'set the variables named above (README.md, "Configuration", lists each with its default)',
    });
  }
  checks.push(await agentsCheck(env));
  return checks;
}

export async function runDoctor(args: string[], env: Env = process.env): Promise<number> {
  let json = false;
  let images: readonly string[] = SESSION_IMAGES;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--images' && args[i + 1] !== undefined) images = args[++i]!.split(',').filter(Boolean);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(DOCTOR_USAGE);
      return 0;
    } else {
      process.stderr.write(`streamspace doctor: unexpected argument ${JSON.stringify(arg)}\n\n${DOCTOR_USAGE}`);
      return 2;
    }
  }
  const unknown = images.filter((n) => !(SESSION_IMAGES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    process.stderr.write(
      `streamspace doctor: unknown image ${unknown.join(', ')}; the session images are ${SESSION_IMAGES.join(', ')}\n`,
    );
    return 2;
  }
  const checks = await runChecks(env, images);
  const code = exitCodeOf(checks);
  process.stdout.write(json ? `${JSON.stringify({ ok: code === 0, checks }, null, 2)}\n` : formatChecks(checks));
  return code;
}
