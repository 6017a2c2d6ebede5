// What the upstream is told, and what it is never told. Every header the gateway owns (identity,
// forwarding, request id) is removed from the inbound request and set again from values the gateway
// established itself, so a client can never speak in the gateway's voice. Framing is re-checked on
// the raw header list as defence in depth behind Node's parser.

import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayErrorCode } from '../errors.js';
import { normalizeIp } from './forwarded.js';

export interface UpstreamHeaderContext {
  /** The client address decided by `clientAddress`. Sent as x-real-ip. */
  clientIp: string;
  /** The TCP peer of this connection. */
  peerIp: string;
  /** Whether the peer is a trusted proxy (then `chain` is honoured). */
  peerTrusted: boolean;
  /** The honoured X-Forwarded-For hops from `clientAddress` (client first, peer excluded). */
  chain?: readonly string[];
  proto: 'https';
  /** The Host the client asked for (validated, lower-case). Sent as x-forwarded-host. */
  host: string;
  requestId: string;
  /** Headers the gateway asserts about the caller (identity, signed token); set last. */
  identityHeaders?: Readonly<Record<string, string>>;
}

export type UpstreamHeaders = Record<string, string | string[]>;

// RFC 9110 section 7.6.1 hop-by-hop fields plus the non-standard ones still seen in the wild.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// Headers the gateway owns or re-sets. x-original-url / x-rewrite-url are here because frameworks
// that honour them (IIS, Symfony) would route on a path other than the one we authorized.
const OWNED = new Set([
  'host',
  'forwarded',
  'x-real-ip',
  'x-request-id',
  'x-forwarded-client-cert',
  'client-cert',
  'client-cert-chain',
  'x-original-url',
  'x-rewrite-url',
]);

function isDropped(name: string): boolean {
  // CGI-style upstreams (PHP, WSGI, Rack) read `X_Forwarded_For` as HTTP_X_FORWARDED_FOR, the same
  // variable as the real header, so an underscore spelling of an owned header is dropped like it.
  if (name.includes('_')) return isOwnedOrHopByHop(name.replaceAll('_', '-'));
  return isOwnedOrHopByHop(name);
}

function isOwnedOrHopByHop(name: string): boolean {
  return (
    HOP_BY_HOP.has(name) ||
    OWNED.has(name) ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('x-portcullis-') ||
    // HTTP/2 pseudo-headers are request-line data, never forwarded as fields.
    name.charCodeAt(0) === 0x3a
  );
}

// Names listed in Connection are hop-by-hop for this hop only (RFC 9110 section 7.6.1). The usual
// values need no parsing, so they skip the allocation.
function connectionNominated(value: string | string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const joined = typeof value === 'string' ? value : value.join(',');
  const lower = joined.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close') return null;
  const names: string[] = [];
  for (const part of lower.split(',')) {
    const name = part.trim();
    if (name !== '') names.push(name);
  }
  return names;
}

/**
 * The headers to send upstream: the inbound ones minus hop-by-hop and gateway-owned headers, plus
 * the forwarding headers and identity the gateway itself vouches for. The upstream's own Host is left
 * to the proxy client.
 *
 * @example
 * const headers = buildUpstreamHeaders(req.headers, {
 *   clientIp, peerIp, peerTrusted, chain, proto: 'https', host, requestId,
 *   identityHeaders: { 'x-portcullis-subject': 'spiffe://corp/alice' },
 * });
 */
export function buildUpstreamHeaders(inbound: IncomingHttpHeaders, ctx: UpstreamHeaderContext): UpstreamHeaders {
  // Null prototype: a header named "__proto__" must stay a plain entry, not reach Object.prototype.
  const out = Object.create(null) as UpstreamHeaders;
  const nominated = connectionNominated(inbound.connection);
  for (const key of Object.keys(inbound)) {
    const value = inbound[key];
    if (value === undefined) continue;
    // Node already lower-cases names; doing it again keeps this safe for any other caller.
    const name = key.toLowerCase();
    if (isDropped(name) || (nominated !== null && nominated.includes(name))) continue;
    const prev = out[name];
    out[name] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  }

  const peerIp = normalizeIp(ctx.peerIp);
  out['x-forwarded-for'] =
    ctx.peerTrusted && ctx.chain !== undefined && ctx.chain.length > 0 ? `${ctx.chain.join(', ')}, ${peerIp}` : peerIp;
  out['x-forwarded-proto'] = ctx.proto;
  out['x-forwarded-host'] = ctx.host;
  out['x-real-ip'] = ctx.clientIp;
  out['x-request-id'] = ctx.requestId;
  if (ctx.identityHeaders !== undefined) {
    for (const key of Object.keys(ctx.identityHeaders)) {
      out[key.toLowerCase()] = ctx.identityHeaders[key] as string;
    }
  }
  return out;
}

// RFC 9110 token: the only valid field-name characters. Linear, no backtracking.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values may hold VCHAR, obs-text, SP and HTAB; any other control could split or smuggle.
function hasControl(value: string): boolean {
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Re-checks request framing on `req.rawHeaders` (name, value, name, value, ...): exactly one way of
 * knowing where the body ends, and no header a downstream parser could read differently.
 * Returns the refusal code, or null when the framing is unambiguous.
 *
 * @example
 * const bad = checkFraming(req.rawHeaders);
 * if (bad !== null) throw new GatewayError(bad);
 */
export function checkFraming(rawHeaders: readonly string[]): GatewayErrorCode | null {
  if (rawHeaders.length % 2 !== 0) return 'PCL_BAD_REQUEST';
  let contentLengths = 0;
  let badContentLength = false;
  let transferEncodings = 0;
  let badTransferEncoding = false;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    if (!TOKEN.test(name) || hasControl(value)) return 'PCL_BAD_REQUEST';
    // Length first, so most headers are never lower-cased.
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      contentLengths++;
      if (!isDigits(value)) badContentLength = true;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      transferEncodings++;
      // Only plain chunked is unambiguous: lists ("gzip, chunked"), repeats and unknown codings are
      // where front and back ends have disagreed. Coding names are case-insensitive (RFC 9112).
      if (value.toLowerCase() !== 'chunked') badTransferEncoding = true;
    } else if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
    }
  }
  if (contentLengths > 0 && transferEncodings > 0) return 'PCL_REQUEST_SMUGGLING';
  // Even equal repeated values: proxies differ on whether to merge, reject or pick one.
  if (contentLengths > 1) return 'PCL_REQUEST_SMUGGLING';
  if (transferEncodings > 1 || badTransferEncoding) return 'PCL_REQUEST_SMUGGLING';
  if (badContentLength) return 'PCL_BAD_REQUEST';
  // RFC 9112 section 3.2: more than one Host is a 400; Node would silently keep the first.
  if (hosts > 1) return 'PCL_BAD_REQUEST';
  return null;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
