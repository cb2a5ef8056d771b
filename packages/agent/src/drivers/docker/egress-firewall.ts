import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { blockedResolvers, type SessionEgress } from '../session-egress.js';
import { buildEgressRules, egressChainName } from './egress-rules.js';

const run = promisify(execFile);

/** SESSION_EGRESS could not be enforced; the message says why and what to do. */
export class EgressNotEnforcedError extends Error {
  override name = 'EgressNotEnforcedError';
}

async function iptables(args: string[]): Promise<void> {
  // -w: wait for the xtables lock, so two agents of one pool (or the engine) do not collide.
  await run('iptables', ['-w', '-t', 'mangle', ...args]);
}
const succeeds = (args: string[]) =>
  iptables(args).then(
    () => true,
    () => false,
  );

/** `iptables-restore` line syntax: arguments with spaces (comments) in double quotes. */
const restoreArg = (arg: string) => (/^[\w.,:/!=-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`);

/**
 * Replaces the chain's rules in ONE iptables-restore transaction (with --noflush only the declared
 * chain is emptied). Filling it rule by rule let two agents of a pool starting together interleave
 * their refills, leaving DROPs above the rule that lets replies through: the agents' own VNC
 * connections to new sessions then hung (seen in CI). A transaction is applied whole, under the
 * xtables lock (-w).
 */
async function replaceChain(chain: string, rules: string[][]): Promise<void> {
  const text = ['*mangle', `:${chain} - [0:0]`, ...rules.map((rule) => rule.map(restoreArg).join(' ')), 'COMMIT', ''];
  await new Promise<void>((resolve, reject) => {
    const child = execFile('iptables-restore', ['-w', '--noflush'], (error) => (error ? reject(error) : resolve()));
    child.stdin?.end(text.join('\n'));
  });
}

async function hostResolvers(): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!);
}

/**
 * Installs (or replaces) the rules for `subnet`: the chain is replaced whole first and hooked
 * last, so a replaced policy is in force at once. The rules stay when the agent exits on
 * purpose: sessions outlive their agent (pools adopt them), and lifting their isolation because
 * the agent stopped would be wrong. `all` removes them, and so does {@link removeEgressRules}.
 */
export async function applyEgressRules(policy: SessionEgress, subnet: string): Promise<void> {
  if (policy === 'all') return removeEgressRules(subnet);
  const { chain, rules, jumps } = buildEgressRules(policy, subnet, blockedResolvers(await hostResolvers()));
  try {
    await replaceChain(chain, rules);
    for (const jump of jumps) {
      const [hook, ...match] = jump as [string, ...string[]];
      if (!(await succeeds(['-C', hook, ...match]))) await iptables(['-I', hook, '1', ...match]);
    }
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new EgressNotEnforcedError(
      `SESSION_EGRESS=${policy} cannot be enforced on this host: installing iptables rules for the session network ` +
        `${subnet} failed (${stderr}). The agent needs root (CAP_NET_ADMIN) in the engine's network namespace and ` +
        `the iptables command; rootless engines and engines on another host cannot be firewalled by the agent`,
      { cause: error },
    );
  }
}

/** Removes the chain and its jumps for `subnet` (nothing to do when there are none). */
export async function removeEgressRules(subnet: string): Promise<void> {
  const chain = egressChainName(subnet);
  const listed = await run('iptables', ['-w', '-t', 'mangle', '-S']).catch(() => undefined);
  if (!listed) return;
  for (const line of listed.stdout.split('\n')) {
    // A jump into our chain, whatever comment or policy it was installed with.
    const match = /^-A (FORWARD|INPUT) (.*) -j (\S+)$/.exec(line.trim());
    if (match && match[3] === chain) await iptables(['-D', match[1]!, ...splitRule(match[2]!), '-j', chain]);
  }
  if (await succeeds(['-S', chain])) {
    await iptables(['-F', chain]);
    await iptables(['-X', chain]);
  }
}

/** Splits `iptables -S` output back into arguments (quoted comments stay one argument). */
function splitRule(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * Installs the SESSION_EGRESS rules for the session network's subnets. Where they cannot be
 * installed (rootless engine, engine on another host, no CAP_NET_ADMIN, no iptables), sessions
 * still run, and the agent says at start, as an error, that their egress is not limited.
 */
export async function enforceSessionEgress(
  docker: Docker,
  o: { network: string; egress: SessionEgress; localEngine: boolean; logger: Logger },
): Promise<void> {
  const network = (await docker.getNetwork(o.network).inspect()) as { IPAM?: { Config?: Array<{ Subnet?: string }> } };
  const subnets = (network.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s?.includes('.'));
  const info = (await docker.info().catch(() => ({}))) as { SecurityOptions?: string[] };
  const rootless = (info.SecurityOptions ?? []).some((option) => option.includes('rootless'));
  const problem = !o.localEngine
    ? 'the engine is not on this host (DOCKER_HOST is not a unix socket)'
    : rootless
      ? 'the engine is rootless (its networks live in a namespace the agent cannot firewall)'
      : subnets.length === 0
        ? `network ${o.network} has no IPv4 subnet`
        : undefined;
  try {
    if (problem) throw new EgressNotEnforcedError(problem);
    for (const subnet of subnets) await applyEgressRules(o.egress, subnet);
    if (o.egress !== 'all')
      o.logger.info(
        { egress: o.egress, subnets },
        `SESSION_EGRESS=${o.egress} enforced with iptables (mangle table) for ${o.network} (${subnets.join(', ')})`,
      );
  } catch (error) {
    if (!(error instanceof EgressNotEnforcedError)) throw error;
    if (o.egress === 'all') return;
    o.logger.error(
      { egress: o.egress, err: error },
      `SESSION_EGRESS=${o.egress} is NOT enforced: ${error.message}. Sessions on ${o.network} can reach ` +
        `this host, private networks and link-local addresses (169.254.169.254). Run the agent as root on the ` +
        `engine's host, or set SESSION_EGRESS=all to accept this`,
    );
  }
}
