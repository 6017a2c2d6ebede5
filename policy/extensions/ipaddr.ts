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
  /** An IPv4 address as a plain number (0 for IPv6), so v4 range checks need no bigint arithmetic. */
  private readonly a4: number;

  constructor(v6: boolean, addr: bigint, prefix: number) {
    super();
    this.v6 = v6;
    this.addr = addr;
    this.prefix = prefix;
    this.a4 = v6 ? 0 : Number(addr);
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
    if (!this.v6) {
      // Same answer as the bigint path below, in 32-bit numbers: this runs per request (e.g. a
      // client address against a constant network) and the bigint version allocates.
      const m = v4Mask(this.prefix);
      const om = v4Mask(other.prefix);
      const lo = (this.a4 & m) >>> 0;
      const hi = (this.a4 | ~m) >>> 0;
      const olo = (other.a4 & om) >>> 0;
      const ohi = (other.a4 | ~om) >>> 0;
      return olo <= lo && hi <= ohi;
    }
    const [lo, hi] = this.range();
    const [olo, ohi] = other.range();
    return olo <= lo && hi <= ohi;
  }
}

/** Network mask of an IPv4 prefix length (0..32) as a 32-bit pattern (`<< 32` would be a no-op). */
function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parse Cedar's ip() argument; returns an error message instead of throwing.
 *
 * @example
 * parseIpAddr('10.0.0.0/8') instanceof IpAddrValue; typeof parseIpAddr('01.2.3.4') === 'string'
 */
export function parseIpAddr(s: string): IpAddrValue | string {
  if (s.length > MAX_LEN) return 'string is too long for an IP address';
  const fast = parseV4Fast(s);
  if (fast !== undefined) return fast;
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

const DOT = 46;
const SLASH = 47;
const ZERO = 48;
const NINE = 57;

/**
 * The common case, `a.b.c.d` or `a.b.c.d/p`, scanned by character code without split, regexes or
 * intermediate strings (client addresses are parsed per request). Accepts exactly what the general
 * path accepts for such strings; returns undefined for anything else, valid or not, so the general
 * path decides it and produces the error message.
 */
function parseV4Fast(s: string): IpAddrValue | undefined {
  const n = s.length;
  let addr = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    const from = i;
    let v = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
      i++;
    }
    const len = i - from;
    // One to three digits, no leading zero, at most 255.
    if (len === 0 || len > 3 || (len > 1 && s.charCodeAt(from) === ZERO) || v > 255) return undefined;
    addr = addr * 256 + v;
    if (part < 3) {
      if (i >= n || s.charCodeAt(i) !== DOT) return undefined;
      i++;
    }
  }
  if (i === n) return new IpAddrValue(false, BigInt(addr), 32);
  if (s.charCodeAt(i) !== SLASH) return undefined;
  i++;
  const from = i;
  let p = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return undefined;
    p = p * 10 + (c - ZERO);
    i++;
  }
  const len = i - from;
  // One or two digits, no leading zero, at most 32.
  if (len === 0 || len > 2 || (len > 1 && s.charCodeAt(from) === ZERO) || p > 32) return undefined;
  return new IpAddrValue(false, BigInt(addr), p);
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
