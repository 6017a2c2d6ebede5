// Cedar's `ipaddr` extension: ip("a.b.c.d[/p]") and ip("v6[/p]"), isIpv4/isIpv6/isLoopback/
// isMulticast/isInRange. Parsing follows Cedar 4 (Rust std::net rules plus Cedar's own checks):
// IPv4 octets without leading zeros, IPv6 with at most one `::`, no IPv4 embedded in IPv6, prefix
// lengths without leading zeros, at most 43 characters in all.

import { ExtensionValue } from '../values/index.js';

const MAX_LEN = 43;

/**
 * An IP address or network. `addr` is the address as an unsigned integer (32 or 128 bits) exactly as
 * written (host bits are kept, as Cedar does), `prefix` the prefix length (32/128 for a single
 * address). Equality compares family, address and prefix.
 */
export class IpAddrValue extends ExtensionValue {
  readonly typeName = 'ipaddr';
  readonly v6: boolean;
  readonly addr: bigint;
  readonly prefix: number;

  constructor(v6: boolean, addr: bigint, prefix: number) {
    super();
    this.v6 = v6;
    this.addr = addr;
    this.prefix = prefix;
  }

  equals(other: ExtensionValue): boolean {
    return other instanceof IpAddrValue && other.v6 === this.v6 && other.addr === this.addr && other.prefix === this.prefix;
  }

  private text(): string {
    if (!this.v6) {
      const a = Number(this.addr);
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${this.prefix}`;
    }
    const groups: string[] = [];
    for (let i = 7; i >= 0; i--) groups.push(((this.addr >> BigInt(i * 16)) & 0xffffn).toString(16));
    return `${groups.join(':')}/${this.prefix}`;
  }

  toString(): string {
    return `ip(${JSON.stringify(this.text())})`;
  }

  toJson(): { fn: string; args: string[] } {
    return { fn: 'ip', args: [this.text()] };
  }

  get bits(): number {
    return this.v6 ? 128 : 32;
  }

  /** Lowest and highest address of the network. */
  range(): [bigint, bigint] {
    const host = (1n << BigInt(this.bits - this.prefix)) - 1n;
    return [this.addr & ~host, this.addr | host];
  }

  isLoopback(): boolean {
    // 127.0.0.0/8 and ::1/128: a network counts only when it lies entirely inside the range.
    return this.v6 ? this.addr === 1n && this.prefix >= 128 : this.addr >> 24n === 127n && this.prefix >= 8;
  }

  isMulticast(): boolean {
    // 224.0.0.0/4 and ff00::/8, with the same "entirely inside" rule.
    return this.v6 ? this.addr >> 120n === 0xffn && this.prefix >= 8 : this.addr >> 28n === 0xen && this.prefix >= 4;
  }

  /** True when this network lies inside `other` (same family only). */
  isInRange(other: IpAddrValue): boolean {
    if (this.v6 !== other.v6) return false;
    const [lo, hi] = this.range();
    const [olo, ohi] = other.range();
    return olo <= lo && hi <= ohi;
  }
}

/**
 * Parse Cedar's ip() argument; returns an error message instead of throwing.
 *
 * @example
 * parseIpAddr('10.0.0.0/8') instanceof IpAddrValue; typeof parseIpAddr('01.2.3.4') === 'string'
 */
export function parseIpAddr(s: string): IpAddrValue | string {
  if (s.length > MAX_LEN) return 'string is too long for an IP address';
  if (countAtLeastTwo(s, ':') && countAtLeastTwo(s, '.')) return 'IPv4 embedded in IPv6 is not accepted';
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const v4 = parseV4(addrText);
  const v6 = v4 === undefined ? parseV6(addrText) : undefined;
  if (v4 === undefined && v6 === undefined) return 'invalid IP address';
  const isV6 = v4 === undefined;
  let prefix = isV6 ? 128 : 32;
  if (slash >= 0) {
    const p = parsePrefix(s.slice(slash + 1), isV6 ? 128 : 32, isV6 ? 3 : 2);
    if (p === undefined) return 'invalid prefix length';
    prefix = p;
  }
  return new IpAddrValue(isV6, (v4 ?? v6) as bigint, prefix);
}

function countAtLeastTwo(s: string, c: string): boolean {
  const i = s.indexOf(c);
  return i >= 0 && s.indexOf(c, i + 1) >= 0;
}

function parsePrefix(s: string, max: number, maxLen: number): number | undefined {
  if (s.length === 0 || s.length > maxLen || !/^[0-9]+$/.test(s)) return undefined;
  if (s.length > 1 && s[0] === '0') return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out = out * 256 + n;
  }
  return BigInt(out);
}

const HEX_GROUP_RE = /^[0-9a-fA-F]{1,4}$/;

function parseGroups(s: string): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  for (const g of s.split(':')) {
    if (!HEX_GROUP_RE.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

function parseV6(s: string): bigint | undefined {
  const dbl = s.indexOf('::');
  let groups: number[];
  if (dbl < 0) {
    const all = parseGroups(s);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  } else {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    // `::` stands for at least one zero group, and may appear once.
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let out = 0n;
  for (const g of groups) out = (out << 16n) | BigInt(g);
  return out;
}
