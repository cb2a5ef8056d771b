/** SESSION_EGRESS: where a session's desktop may open connections. */
export const SESSION_EGRESS_POLICIES = ['internet', 'none', 'all'] as const;
export type SessionEgress = (typeof SESSION_EGRESS_POLICIES)[number];

/**
 * IPv4 destinations a session may not reach under `internet`: the private ranges (RFC 1918), the
 * host's own loopback, link-local (169.254.169.254 is the cloud metadata service), shared address
 * space (100.64/10, carrier-grade NAT and some clouds' internal services), "this network",
 * multicast and reserved space. The host's public addresses are blocked separately (addrtype LOCAL).
 */
export const BLOCKED_IPV4_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/** Is `address` (IPv4) inside `cidr`? */
export function inIpv4Range(address: string, cidr: string): boolean {
  const toNumber = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(address) / size) === Math.floor(toNumber(base) / size);
}

/** Nameservers the sessions inherit that `internet` would otherwise block: they stay reachable on port 53 only. */
export function blockedResolvers(nameservers: string[]): string[] {
  return nameservers.filter(
    (ns) => /^\d+\.\d+\.\d+\.\d+$/.test(ns) && BLOCKED_IPV4_RANGES.some((range) => inIpv4Range(ns, range)),
  );
}
