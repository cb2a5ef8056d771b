import { createHash } from 'node:crypto';
import { BLOCKED_IPV4_RANGES, type SessionEgress } from '../session-egress.js';

/**
 * The iptables rules that enforce SESSION_EGRESS for one session network, as argument lists for
 * `iptables -w -t mangle …` (pure, so the rules are unit-tested without a host).
 *
 * Why the mangle table: Docker and podman's CNI plugins put ACCEPT rules for container traffic at
 * the top of the filter table's FORWARD chain (and Docker re-inserts its own on every restart), so
 * a filter rule's position cannot be trusted. The mangle table's FORWARD and INPUT chains run
 * before the filter table's, nobody accepts container traffic there, and a DROP anywhere is final.
 * The cost: mangle cannot REJECT, so a blocked connection times out instead of being refused.
 *
 * One chain per network (named from the network's subnet), jumped to from mangle FORWARD (traffic
 * routed elsewhere) and mangle INPUT (traffic to the host itself: the control plane, the agent, any
 * service on the host) for packets from the network's subnet. Replies to connections made *into*
 * the session (the agent's VNC connection) are let through as ESTABLISHED.
 */
export function egressChainName(subnet: string): string {
  // iptables chain names are at most 28 characters.
  return `SS-EGRESS-${createHash('sha256').update(subnet).digest('hex').slice(0, 12)}`;
}

export interface EgressRules {
  chain: string;
  /** The rules inside the chain, in order (each is `-A <chain> …`). */
  rules: string[][];
  /** The jumps into the chain, one per hooked built-in chain. */
  jumps: string[][];
}

export function buildEgressRules(
  policy: Exclude<SessionEgress, 'all'>,
  subnet: string,
  resolvers: string[],
): EgressRules {
  const chain = egressChainName(subnet);
  const comment = ['-m', 'comment', '--comment', `streamspace SESSION_EGRESS=${policy} for ${subnet}`];
  const rules: string[][] = [['-A', chain, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN']];
  if (policy === 'internet') {
    // The resolvers the sessions inherit from the host may sit in a blocked range (a VPC's or a
    // home router's): DNS to them, and only DNS, stays open.
    for (const resolver of resolvers)
      for (const proto of ['udp', 'tcp'])
        rules.push(['-A', chain, '-d', `${resolver}/32`, '-p', proto, '--dport', '53', '-j', 'RETURN']);
    rules.push(['-A', chain, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DROP']);
    for (const range of BLOCKED_IPV4_RANGES) rules.push(['-A', chain, '-d', range, '-j', 'DROP']);
  } else {
    rules.push(['-A', chain, '-j', 'DROP']);
  }
  // `! -i lo`: the host's own connections to its bridge address carry that address as their source.
  const jumps = ['FORWARD', 'INPUT'].map((hook) => [hook, '-s', subnet, '!', '-i', 'lo', ...comment, '-j', chain]);
  return { chain, rules, jumps };
}
