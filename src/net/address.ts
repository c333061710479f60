import { BlockList, isIP } from 'node:net';

/**
 * Addresses a plugin may reach only through a literal allow_net entry (allow-list.ts): the
 * gateway's own host, its private networks and the cloud metadata service. Checked on the
 * address actually connected to (guarded-lookup.ts), never only on the name.
 */
const V4: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V6: readonly [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique local (ULA)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const lists = new Map<string, BlockList>();
for (const [net, prefix, what] of [...V4.map((r) => [...r, 'ipv4'] as const), ...V6.map((r) => [...r, 'ipv6'] as const)]) {
  let list = lists.get(what);
  if (!list) lists.set(what, (list = new BlockList()));
  list.addSubnet(net, prefix, isIP(net) === 6 ? 'ipv6' : 'ipv4');
}

/** IPv4 carried inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d). */
function embeddedV4(address: string): string | undefined {
  const groups = expandV6(address);
  if (!groups) return undefined;
  const head = groups.slice(0, 6);
  const mapped = head.slice(0, 5).every((g) => g === 0) && (head[5] === 0xffff || head[5] === 0);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (!mapped && !nat64) return undefined;
  // ::  and ::1 are IPv6's own unspecified and loopback addresses.
  if (!nat64 && head[5] === 0 && groups[6] === 0 && groups[7] <= 1) return undefined;
  return `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
}

function expandV6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.split('::');
  const l = left ? left.split(':') : [];
  const r = right !== undefined ? (right ? right.split(':') : []) : [];
  const fill = text.includes('::') ? 8 - l.length - r.length : 0;
  const groups = [...l, ...Array<string>(fill).fill('0'), ...r].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * Why `address` (an IP literal, brackets removed) is special, e.g. `loopback`; undefined for an
 * ordinary public address. Anything that is not an IP at all counts as special (fail closed).
 */
export function specialAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const inner = embeddedV4(address);
    if (inner !== undefined) return specialAddress(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [what, list] of lists) if (list.check(address.replace(/%.*$/, ''), type)) return what;
  return undefined;
}
