// Small pure parsers for config values whose rules JSON Schema cannot express: sizes, CIDRs, upstream
// URLs and route paths. Each returns a typed value or a reason; none of them echo their input, so the
// callers can put the reason in an error without leaking what was written.
import { isIP } from 'node:net';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; hint: string };

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Bytes from `1048576`, `"512kb"`, `"1.5mb"` (binary multiples, like fastify and Node's docs). */
export function parseSize(value: number | string): Parsed<number> {
  const hint = 'write a number of bytes, or a size such as 512kb, 10mb or 1gb';
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? { ok: true, value } : { ok: false, reason: 'must be a positive whole number of bytes', hint };
  }
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]?b)?\s*$/i.exec(value);
  if (!m) return { ok: false, reason: 'is not a size', hint };
  const bytes = Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes) || bytes < 1) return { ok: false, reason: 'must be at least 1 byte and a sane size', hint };
  return { ok: true, value: bytes };
}

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * A trusted-proxy entry: `10.0.0.0/8`, `fd00::/8`, or a single address. Host bits set below the prefix
 * (`10.0.0.1/8`) are refused: they usually mean the author meant a narrower range than they wrote.
 */
export function parseCidr(text: string): Parsed<Cidr> {
  const hint = 'write a CIDR such as 10.0.0.0/8 or fd00::/8, or a single IP address';
  const parts = text.trim().split('/');
  if (parts.length > 2) return { ok: false, reason: 'is not a CIDR (more than one "/")', hint };
  const address = (parts[0] ?? '').toLowerCase();
  const version = address.includes('%') ? 0 : isIP(address);
  if (version === 0) return { ok: false, reason: 'does not start with a valid IP address', hint };
  const bits = version === 4 ? 32 : 128;
  let prefix = bits;
  if (parts.length === 2) {
    if (!/^[0-9]{1,3}$/.test(parts[1] ?? '')) return { ok: false, reason: 'has a prefix length that is not a number', hint };
    prefix = Number(parts[1]);
    if (prefix > bits) return { ok: false, reason: `has a prefix length over ${bits}`, hint };
  }
  const value = version === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    return { ok: false, reason: `has address bits set below the /${prefix} prefix`, hint: 'use the network address of the range (zero the host part), or a longer prefix' };
  }
  return { ok: true, value: { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' } };
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two 16-bit groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToBigInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/**
 * An upstream target: `http(s)://host:port` with an explicit port and nothing else. Paths, queries
 * and credentials are refused rather than ignored: a path would be silently dropped by the proxy and
 * credentials do not belong in a config file.
 */
export function parseTargetUrl(text: string): Parsed<string> {
  const hint = 'write http://host:port or https://host:port, e.g. http://127.0.0.1:9001';
  const scheme = /^(https?):\/\//i.exec(text);
  if (!scheme?.[1]) return { ok: false, reason: 'must start with http:// or https://', hint };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'is not a valid URL', hint };
  }
  const authority = text.slice(scheme[0].length).split(/[/?#]/)[0] ?? '';
  if (authority.includes('@') || url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not contain credentials', hint: 'remove "user:password@"; upstream authentication belongs in pools.*.tls (client certificates)' };
  }
  const rest = text.slice(scheme[0].length + authority.length);
  if (rest !== '' && rest !== '/') return { ok: false, reason: 'must not have a path, query or fragment', hint: 'remove everything after host:port; routes choose paths, and stripPrefix rewrites them' };
  const port = /:([0-9]{1,5})$/.exec(authority)?.[1];
  if (port === undefined) return { ok: false, reason: 'must name the port explicitly', hint: 'add the port, e.g. http://host:80 or https://host:443' };
  const portNumber = Number(port);
  if (portNumber < 1 || portNumber > 65535) return { ok: false, reason: 'has a port outside 1-65535', hint };
  if (url.hostname === '') return { ok: false, reason: 'has no host', hint };
  return { ok: true, value: `${scheme[1].toLowerCase()}://${url.hostname}:${portNumber}` };
}

export type PathKind = 'exact' | 'prefix' | 'pattern';

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Route paths that could never match a request the gateway accepts are refused at load time: request
 * hygiene rejects dot segments, queries never reach the router, and a malformed pattern would match
 * something other than what its author meant.
 */
export function checkRoutePath(kind: PathKind, path: string): Parsed<string> {
  if (!path.startsWith('/')) return { ok: false, reason: 'must start with "/"', hint: 'write an absolute path such as /api' };
  // eslint-disable-next-line no-control-regex
  if (/[\s?#\u0000-\u001f\u007f\\]/.test(path)) {
    return { ok: false, reason: 'must not contain whitespace, control characters, "\\", "?" or "#"', hint: 'match on the path only; queries and fragments are not routed' };
  }
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) {
    return { ok: false, reason: 'contains a "." or ".." segment, which no accepted request has', hint: 'write the path without dot segments' };
  }
  if (kind !== 'pattern') return { ok: true, value: path };
  const names = new Set<string>();
  for (const seg of segments) {
    if (seg.includes(':') || seg.includes('*')) {
      if (!PARAM.test(seg)) {
        return { ok: false, reason: 'has a malformed segment; parameters are whole segments like ":id"', hint: 'write parameters as /users/:id (letters, digits, "_"), one per segment' };
      }
      if (names.has(seg)) return { ok: false, reason: `uses the parameter "${seg}" twice`, hint: 'give each parameter its own name' };
      names.add(seg);
    }
  }
  return { ok: true, value: path };
}

/** The same pattern with parameters renamed away, so /u/:id and /u/:uid compare equal. */
export function patternShape(path: string): string {
  return path.split('/').map((s) => (s.startsWith(':') ? ':' : s)).join('/');
}

/** A known name within edit distance 2 (or equal ignoring case), for "did you mean". */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}
