// How a verified client certificate is described to the upstream, in the two formats upstreams
// already parse: Envoy's x-forwarded-client-cert and RFC 9440 Client-Cert / Client-Cert-Chain. Only
// the gateway writes these; inbound copies are stripped in headers.ts.

import { createHash } from 'node:crypto';

export interface XfccFields {
  /** URI SAN of the gateway's own certificate, when it has one. */
  by?: string;
  /** SHA-256 of the client certificate's DER: lower-case hex (`certSha256`) or Node's `fingerprint256` ("AB:CD:..."). */
  hash: string;
  /** Subject DN as text (RFC 4514 form recommended). */
  subject: string;
  /** URI SAN of the client certificate (e.g. its SPIFFE id). */
  uri?: string;
  /** DNS SANs of the client certificate; each becomes its own DNS= pair, as Envoy does. */
  dns?: readonly string[];
}

const HASH_HEX = /^[0-9a-f]{64}$/;
// Node's `fingerprint256` form: upper-case hex pairs joined by ':'.
const HASH_COLONS = /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/;

function canonicalHash(hash: string): string {
  if (HASH_HEX.test(hash)) return hash;
  if (HASH_COLONS.test(hash)) return hash.replaceAll(':', '').toLowerCase();
  // A wrong hash would be forwarded as identity; fail loudly on the programming error instead.
  throw new TypeError('xfccValue: hash must be the SHA-256 of the DER as 64 lower-case hex characters (or Node\'s fingerprint256).');
}

/** SHA-256 of a certificate's DER as lower-case hex: the XFCC `Hash` value. */
export function certSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * One XFCC element in Envoy's key order (By, Hash, Subject, URI, DNS). Values holding `,` `;` `=`
 * are double-quoted, as Envoy documents; Subject is always quoted, as Envoy does. Inside quotes `"`
 * becomes `\"` (Envoy) and `\` becomes `\\` (our addition: otherwise a value ending in `\` would
 * forge an escaped closing quote). Characters outside printable ASCII are percent-encoded as UTF-8
 * so a certificate field can never break the header line or make Node refuse the header.
 *
 * @example
 * xfccValue({ hash, subject: 'CN=alice,O=Corp', uri: 'spiffe://corp/alice' })
 * // 'Hash=<hex>;Subject="CN=alice,O=Corp";URI=spiffe://corp/alice'
 */
export function xfccValue(fields: XfccFields): string {
  const hash = canonicalHash(fields.hash);
  let out = '';
  if (fields.by !== undefined) out += `By=${xfccEscape(fields.by, false)};`;
  out += `Hash=${hash};Subject=${xfccEscape(fields.subject, true)}`;
  if (fields.uri !== undefined) out += `;URI=${xfccEscape(fields.uri, false)}`;
  if (fields.dns !== undefined) {
    for (const name of fields.dns) out += `;DNS=${xfccEscape(name, false)}`;
  }
  return out;
}

function xfccEscape(value: string, alwaysQuote: boolean): string {
  let quote = alwaysQuote;
  let body = '';
  const bytes = isPrintableAscii(value) ? null : Buffer.from(value, 'utf8');
  const count = bytes === null ? value.length : bytes.length;
  for (let k = 0; k < count; k++) {
    const c = bytes === null ? value.charCodeAt(k) : (bytes[k] as number);
    if (c < 0x20 || c >= 0x7f) {
      body += '%' + c.toString(16).toUpperCase().padStart(2, '0');
    } else if (c === 0x22 || c === 0x5c) {
      body += '\\' + String.fromCharCode(c);
      quote = true;
    } else {
      if (c === 0x2c || c === 0x3b || c === 0x3d) quote = true;
      body += String.fromCharCode(c);
    }
  }
  return quote ? `"${body}"` : body;
}

function isPrintableAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * RFC 9440 Client-Cert: the DER as a structured-field byte sequence (`:base64:`).
 *
 * @example
 * headers['client-cert'] = clientCertHeader(peerCert.raw);
 */
export function clientCertHeader(der: Buffer): string {
  return `:${der.toString('base64')}:`;
}

/**
 * RFC 9440 Client-Cert-Chain: the intermediates (not the leaf), each a byte sequence, as an
 * sf-list in the order presented.
 */
export function clientCertChainHeader(ders: readonly Buffer[]): string {
  return ders.map(clientCertHeader).join(', ');
}
