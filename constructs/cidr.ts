/**
 * CIDR syntax checks and IPv4 subnet arithmetic, done in TypeScript so bad input fails at synth and the
 * synthesized JSON shows the subnet ranges literally (a reviewer reads `10.0.16.0/20`, not a function call).
 */
import { fail, isUnresolved } from './validation';

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly address: number;
  readonly prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined for anything else, including host bits set (`10.0.0.1/16`). */
export function parseIpv4Cidr(value: string): Ipv4Cidr | undefined {
  const m = IPV4.exec(value);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  if (m.slice(1, 5).some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const hostMask = prefix === 32 ? 0 : 0xffffffff >>> prefix;
  if ((address & hostMask) !== 0) return undefined;
  return { address, prefix };
}

/** Loose but strict-enough IPv6 CIDR check (`::/0`, `2001:db8::/32`). */
export function isIpv6Cidr(value: string): boolean {
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(value);
  if (!m || Number(m[2]) > 128) return false;
  const addr = m[1];
  if (addr.includes(':::') || /^:[^:]/.test(addr) || /[^:]:$/.test(addr)) return false;
  const doubleColons = addr.split('::').length - 1;
  if (doubleColons > 1) return false;
  const groups = addr.split(':').filter((g) => g !== '');
  if (groups.some((g) => g.length > 4)) return false;
  return doubleColons === 1 ? groups.length < 8 : groups.length === 8;
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  const a = cidr.address;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${cidr.prefix}`;
}

/** Same as Terraform's `cidrsubnet(prefix, newbits, netnum)` for IPv4. */
export function ipv4Subnet(parent: Ipv4Cidr, newBits: number, netNum: number): Ipv4Cidr {
  const prefix = parent.prefix + newBits;
  if (prefix > 32 || netNum < 0 || netNum >= 2 ** newBits) {
    throw new RangeError(`cannot take subnet ${netNum} of /${prefix} from /${parent.prefix}`);
  }
  return { address: (parent.address + netNum * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** Validates an IPv4 CIDR (`10.0.0.0/16`) and returns it parsed; tokens pass through as undefined. */
export function checkIpv4Cidr(owner: string, prop: string, value: string): Ipv4Cidr | undefined {
  if (isUnresolved(value)) return undefined;
  const parsed = parseIpv4Cidr(value);
  if (!parsed) {
    fail(owner, prop, value, 'must be an IPv4 CIDR block such as "10.0.0.0/16" (a.b.c.d/0..32, no host bits set)');
  }
  return parsed;
}

export function checkIpv6Cidr(owner: string, prop: string, value: string): void {
  if (isUnresolved(value)) return;
  if (!isIpv6Cidr(value)) {
    fail(owner, prop, value, 'must be an IPv6 CIDR block such as "::/0" or "2001:db8::/32"');
  }
}
