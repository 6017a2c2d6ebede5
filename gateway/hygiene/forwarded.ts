// Who the client is. X-Forwarded-For is a claim anyone can write, so it is believed only when the
// connection comes from a proxy the operator trusts, and only as far back as the chain of trusted
// proxies goes: the first address not in the trusted set is the client.

import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

/** The compiled `server.trustedProxies`: answers "is this address one of our proxies?". */
export interface TrustedProxies {
  /** Number of configured entries; 0 means no peer is ever trusted. */
  readonly size: number;
  /** True when `ip` (IPv4, IPv6 or IPv4-mapped IPv6) lies in a trusted range; false for non-IPs. */
  contains(ip: string): boolean;
}

/** A `server.trustedProxies` entry that is not an IP address or CIDR. Raised at config load. */
export class InvalidTrustedProxyError extends Error {
  readonly entry: string;
  constructor(entry: string) {
    super(`trustedProxies: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32).`);
    this.name = 'InvalidTrustedProxyError';
    this.entry = entry;
  }
}

class BlockListProxies implements TrustedProxies {
  readonly size: number;
  readonly #list: BlockList;

  constructor(list: BlockList, size: number) {
    this.#list = list;
    this.size = size;
  }

  contains(ip: string): boolean {
    if (this.size === 0) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    // BlockList matches IPv4-mapped IPv6 addresses against IPv4 ranges itself.
    return this.#list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * Compiles CIDRs (or bare addresses) once per config load. Throws `InvalidTrustedProxyError` on a
 * malformed entry rather than silently trusting less (or more) than the operator wrote.
 *
 * @example
 * const trusted = compileTrustedProxies(['10.0.0.0/8', 'fd00::/8']);
 */
export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const raw of cidrs) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0 || address.includes('%')) throw new InvalidTrustedProxyError(raw);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) {
      list.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new InvalidTrustedProxyError(raw);
    }
    list.addSubnet(address, prefix, type);
  }
  return new BlockListProxies(list, cidrs.length);
}

/**
 * Dual-stack sockets report IPv4 peers as "::ffff:a.b.c.d"; logs, rate-limit keys and headers use
 * the plain IPv4 form so one client has one name.
 */
export function normalizeIp(ip: string): string {
  if (ip.length > 7 && (ip.startsWith('::ffff:') || ip.startsWith('::FFFF:'))) {
    const v4 = ip.slice(7);
    if (isIP(v4) === 4) return v4;
  }
  return ip;
}

export interface ClientAddress {
  /** The address policy, rate limits and audit attribute the request to. */
  clientIp: string;
  /** Whether the TCP peer is a trusted proxy. */
  peerTrusted: boolean;
  /** X-Forwarded-For hops that were honoured, client first, peer excluded; empty when untrusted. */
  chain: string[];
}

// A valid XFF hop is a bare IP. Ports, brackets, "unknown", obfuscated ids and zone ids are not.
function parseHop(entry: string): string | null {
  const ip = normalizeIp(entry);
  return isIP(ip) !== 0 && !ip.includes('%') ? ip : null;
}

/**
 * Decides the client address. XFF is read only when the peer is trusted, right to left (each proxy
 * appends), skipping trusted hops; the first untrusted address is the client. A malformed entry ends
 * the walk and the last good hop is the client, because nothing left of it can be vouched for.
 * Several X-Forwarded-For headers are read as one list, in order.
 *
 * @example
 * const { clientIp, peerTrusted, chain } = clientAddress(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], trusted);
 */
export function clientAddress(
  peerIp: string,
  xffHeader: string | string[] | undefined,
  trusted: TrustedProxies,
): ClientAddress {
  const peer = normalizeIp(peerIp);
  if (!trusted.contains(peer)) return { clientIp: peer, peerTrusted: false, chain: [] };
  if (xffHeader === undefined) return { clientIp: peer, peerTrusted: true, chain: [] };
  const header = typeof xffHeader === 'string' ? xffHeader : xffHeader.join(',');

  const hops: string[] = [];
  let client = peer;
  let end = header.length;
  // Terminates: every pass either breaks or moves `end` left to the comma it found.
  for (;;) {
    const comma = header.lastIndexOf(',', end - 1);
    const hop = parseHop(header.slice(comma + 1, end).trim());
    if (hop === null) break;
    hops.push(hop);
    client = hop;
    if (!trusted.contains(hop) || comma < 0) break;
    end = comma;
  }
  hops.reverse();
  return { clientIp: client, peerTrusted: true, chain: hops };
}

// Wide enough for UUIDs, ULIDs, W3C trace ids and "svc:123" styles; too narrow for injection into
// logs or headers.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the inbound X-Request-Id when it is one well-formed value, else a fresh UUID.
 *
 * @example
 * const requestId = requestIdFrom(req.headers['x-request-id']);
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = typeof header === 'string' ? header : header !== undefined && header.length === 1 ? header[0] : undefined;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}
