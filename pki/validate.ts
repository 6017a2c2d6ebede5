// Parses every operator-supplied value that ends up inside a certificate. Each function returns the
// value in the one form we store and sign, or throws a PkiError; nothing is silently dropped.
import { isIP } from 'node:net';
import { PkiError, quote } from './errors.js';

export type ClientKind = 'svc' | 'user' | 'kms';
export type IssueKind = 'server' | ClientKind;

/**
 * RFC 5280 CRLReason values we accept, by name. certificateHold/removeFromCRL are left out:
 * revocation here is final.
 *
 * @example
 * await pki.revoke(serial, 'keyCompromise'); // any key of REVOCATION_REASONS
 */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const LOWER_LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_SANS = 100;
export const MAX_LEAF_DAYS = 3650;

/**
 * A service, user or KMS node name, used as CN and as the last SPIFFE path segment. "." and ".."
 * are refused because they are path traversal inside a URI.
 */
export function parseName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name === '.' || name === '..') {
    throw new PkiError('PCL_PKI_BAD_NAME', `Got ${quote(name)}`);
  }
  return name;
}

/** A trust domain must already be lowercase: lowercasing it for the caller would make two spellings one identity. */
export function parseTrustDomain(domain: unknown): string {
  if (typeof domain !== 'string' || domain.length === 0 || domain.length > 253 || !domain.split('.').every((l) => LOWER_LABEL_RE.test(l))) {
    throw new PkiError('PCL_PKI_BAD_TRUST_DOMAIN', `Got ${quote(domain)}`);
  }
  return domain;
}

/** A CA common name is display text, so any printable Unicode is fine; control characters are not. */
export function parseCommonName(cn: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof cn !== 'string' || cn.trim().length === 0 || [...cn].length > 64 || /[\u0000-\u001f\u007f-\u009f]/.test(cn)) {
    throw new PkiError('PCL_PKI_BAD_COMMON_NAME', `Got ${quote(cn)}`);
  }
  return cn;
}

/**
 * An RFC 1123 host name, stored lowercase (DNS is case-insensitive, so this changes no meaning).
 * Wildcards, trailing dots and anything that parses as an IP address are refused.
 */
export function parseDnsName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) {
    throw new PkiError('PCL_PKI_BAD_DNS_NAME', `Got ${quote(name)}`);
  }
  const labels = name.split('.');
  const last = labels[labels.length - 1] ?? '';
  if (!labels.every((l) => LABEL_RE.test(l)) || /^[0-9]+$/.test(last) || isIP(name) !== 0) {
    throw new PkiError('PCL_PKI_BAD_DNS_NAME', `Got ${quote(name)}`);
  }
  return name.toLowerCase();
}

/** An IP address as the octets that go into the certificate, plus its canonical text form. */
export interface ParsedIp {
  text: string;
  bytes: Buffer;
}

/** Plain IPv4 or IPv6 only: zones (%eth0) and prefixes (/24) have no meaning in a certificate. */
export function parseIp(ip: unknown): ParsedIp {
  if (typeof ip !== 'string' || ip.length > 45 || ip.includes('%') || ip.includes('/')) {
    throw new PkiError('PCL_PKI_BAD_IP', `Got ${quote(ip)}`);
  }
  const family = isIP(ip);
  if (family === 4) {
    return { text: ip, bytes: Buffer.from(ip.split('.').map(Number)) };
  }
  if (family === 6) {
    const bytes = ipv6Bytes(ip);
    if (bytes === undefined) throw new PkiError('PCL_PKI_BAD_IP', `Got ${quote(ip)}`);
    // The URL parser prints the RFC 5952 canonical form, so "::0001" and "::1" are stored alike.
    return { text: new URL(`http://[${ip}]/`).hostname.slice(1, -1), bytes };
  }
  throw new PkiError('PCL_PKI_BAD_IP', `Got ${quote(ip)}`);
}

function ipv6Bytes(ip: string): Buffer | undefined {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) is two 16-bit groups written in dotted form.
    if (isIP(maybeV4) !== 4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = maybeV4.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((h) => (/^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : NaN));
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  if (groups.some((g) => Number.isNaN(g))) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Whole days from 1 to `max`; strings are accepted only when they are plain decimal integers. */
export function parseDays(days: unknown, max: number = MAX_LEAF_DAYS): number {
  const n = typeof days === 'string' && /^[0-9]{1,5}$/.test(days) ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new PkiError('PCL_PKI_BAD_DAYS', `Got ${quote(days)}`);
  }
  return n;
}

/** One of the four issuing kinds the CLI and API know. */
export function parseKind(kind: unknown): IssueKind {
  if (kind === 'server' || kind === 'svc' || kind === 'user' || kind === 'kms') return kind;
  throw new PkiError('PCL_PKI_BAD_KIND', `Got ${quote(kind)}`);
}

/** A reason name from REVOCATION_REASONS; `undefined` stays undefined (no reason recorded). */
export function parseReason(reason: unknown): RevocationReason | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason === 'string' && Object.hasOwn(REVOCATION_REASONS, reason)) return reason as RevocationReason;
  throw new PkiError('PCL_PKI_BAD_REASON', `Got ${quote(reason)}`);
}
