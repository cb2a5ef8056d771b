import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEgressRules, egressChainName } from './egress-rules.js';
import { blockedResolvers, inIpv4Range } from '../session-egress.js';

test('internet: replies pass, DNS to a private resolver only, then the host, private and link-local ranges drop', () => {
  const { chain, rules, jumps } = buildEgressRules('internet', '10.89.0.0/24', ['10.255.255.53']);
  assert.equal(chain, egressChainName('10.89.0.0/24'));
  assert.ok(chain.length <= 28, 'iptables chain names are at most 28 characters');
  const lines = rules.map((r) => r.join(' '));
  assert.equal(lines[0], `-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`);
  assert.deepEqual(lines.slice(1, 3), [
    `-A ${chain} -d 10.255.255.53/32 -p udp --dport 53 -j RETURN`,
    `-A ${chain} -d 10.255.255.53/32 -p tcp --dport 53 -j RETURN`,
  ]);
  assert.equal(lines[3], `-A ${chain} -m addrtype --dst-type LOCAL -j DROP`);
  for (const range of [
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '169.254.0.0/16',
    '127.0.0.0/8',
    '100.64.0.0/10',
  ])
    assert.ok(lines.includes(`-A ${chain} -d ${range} -j DROP`), range);
  assert.ok(!lines.some((l) => l.endsWith('-j ACCEPT')), 'the chain only returns or drops: it never accepts');
  assert.deepEqual(
    jumps.map((j) => [j[0], j[1], j[2], j[3], j[4], j[5], j.at(-1)]),
    [
      ['FORWARD', '-s', '10.89.0.0/24', '!', '-i', 'lo', chain],
      ['INPUT', '-s', '10.89.0.0/24', '!', '-i', 'lo', chain],
    ],
  );
});

test('none drops every new connection; chains differ per subnet', () => {
  const { chain, rules } = buildEgressRules('none', '10.90.0.0/24', []);
  assert.deepEqual(
    rules.map((r) => r.join(' ')),
    [`-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`, `-A ${chain} -j DROP`],
  );
  assert.notEqual(chain, egressChainName('10.89.0.0/24'));
});

test('169.254.169.254 and the private ranges are blocked; a public resolver needs no exception', () => {
  assert.ok(inIpv4Range('169.254.169.254', '169.254.0.0/16'));
  assert.ok(inIpv4Range('172.31.255.1', '172.16.0.0/12'));
  assert.ok(!inIpv4Range('172.32.0.1', '172.16.0.0/12'));
  assert.deepEqual(blockedResolvers(['10.255.255.53', '1.1.1.1', '192.168.1.1', '::1']), [
    '10.255.255.53',
    '192.168.1.1',
  ]);
});
