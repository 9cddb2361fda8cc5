/**
 * IPv4 arithmetic for miner groups. A group's miners get consecutive addresses from the first
 * host of its CIDR (network + 1; /31 and /32 have no network/broadcast address to skip), as
 * the site twin binds them and the agent polls them. Addresses are unsigned 32-bit integers.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
  /** The text had host bits set (10.0.0.5/24): almost always a typo. */
  hostBitsSet: boolean;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`"${text}" is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new RangeError(`"${text}" is not an IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32) {
    throw new RangeError(`"${text}" is not an IPv4 CIDR`);
  }
  const prefix = Number(len);
  const ip = parseIpv4(addr);
  const size = 2 ** (32 - prefix);
  const network = ip - (ip % size);
  return { network, prefix, hostBitsSet: network !== ip };
}

/** Number of addresses miners can take in the CIDR. */
export function usableHosts(c: Cidr): number {
  const size = 2 ** (32 - c.prefix);
  return c.prefix >= 31 ? size : size - 2;
}

export function firstHost(c: Cidr): number {
  return c.prefix >= 31 ? c.network : c.network + 1;
}
