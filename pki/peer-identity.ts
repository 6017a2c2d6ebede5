// Turns a verified TLS peer certificate into the identity the gateway authorizes. The only input we
// parse is Node's `subjectaltname` string, which is why the parser is strict: a SAN we misread is an
// identity we grant to the wrong peer.
import type { PeerCertificate } from 'node:tls';
import { PkiError } from './errors.js';
import { normalizeSerial } from './serial.js';

/** Who a TLS peer is, as `peerIdentity` reads it from a verified certificate. */
export interface PeerIdentity {
  /** What policies match on: the spiffe:// URI when there is one, else the subject CN. */
  id: string;
  uri?: string;
  commonName?: string;
  /** Normalized serial (see normalizeSerial), for revocation checks and audit. */
  serial: string;
  fingerprint256: string;
  /** RFC 4514-style rendering for logs, e.g. "CN=billing". */
  subject: string;
  issuer: string;
  /** The certificate's DER. */
  raw: Buffer;
  validTo: Date;
}

/** One subject alternative name as Node prints it. */
export interface AltName {
  /** Node's label: "DNS", "URI", "IP Address", "email", "DirName", "othername", ... */
  type: string;
  value: string;
}

/**
 * Parses Node's `subjectaltname` string ("DNS:a, URI:spiffe://x/y, IP Address:1.2.3.4"). Since
 * Node 17.3.1 / 16.13.2, a value holding "," or other unsafe characters is written as a JSON string
 * (`URI:"spiffe://x/a,b"`), so splitting on ", " alone would let one SAN smuggle a second one.
 * Throws PCL_PKI_PEER_SAN_INVALID on anything it cannot read unambiguously.
 *
 * @example
 * parseSubjectAltName('URI:spiffe://td/svc/a, DNS:a.local');
 * // [{ type: 'URI', value: 'spiffe://td/svc/a' }, { type: 'DNS', value: 'a.local' }]
 */
export function parseSubjectAltName(text: string | undefined): AltName[] {
  if (text === undefined || text === '') return [];
  const out: AltName[] = [];
  let i = 0;
  const invalid = (): PkiError => new PkiError('PCL_PKI_PEER_SAN_INVALID', `(at offset ${i})`);
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon <= i) throw invalid();
    const type = text.slice(i, colon);
    if (!/^[A-Za-z][A-Za-z0-9 ]*$/.test(type)) throw invalid();
    i = colon + 1;
    let value: string;
    if (text[i] === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) throw invalid();
      try {
        value = JSON.parse(text.slice(i, end + 1)) as string;
      } catch {
        throw invalid();
      }
      i = end + 1;
    } else {
      const next = text.indexOf(', ', i);
      const end = next === -1 ? text.length : next;
      value = text.slice(i, end);
      // Node quotes any value holding these, so seeing them bare means the format is not what we think.
      if (value.includes('"') || value.includes(',')) throw invalid();
      i = end;
    }
    out.push({ type, value });
    if (i === text.length) break;
    if (!text.startsWith(', ', i)) throw invalid();
    i += 2;
    if (i === text.length) throw invalid();
  }
  return out;
}

type NameObject = Record<string, string | string[] | undefined>;

function formatName(name: unknown): string {
  if (typeof name !== 'object' || name === null) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(name as NameObject)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      parts.push(`${key}=${String(v).replace(/[\\,+=<>#;"]/g, (c) => `\\${c}`)}`);
    }
  }
  return parts.join(', ');
}

/**
 * The identity of a peer whose certificate chain TLS has already verified: the one `spiffe://` URI
 * SAN, else the subject CN. More than one spiffe URI (or, without one, more than one CN) is refused
 * with PCL_PKI_PEER_AMBIGUOUS rather than picking one; the SPIFFE X509-SVID spec allows exactly one.
 * Call it only after `socket.authorized` is true: it does not verify anything itself.
 *
 * @example
 * const socket = request.raw.socket as TLSSocket;
 * if (socket.authorized) {
 *   const peer = peerIdentity(socket.getPeerCertificate());
 *   if (revocations.isRevoked(peer.serial)) deny();
 *   principal = peer.id; // 'spiffe://portcullis.local/svc/billing'
 * }
 */
export function peerIdentity(cert: PeerCertificate): PeerIdentity {
  // getPeerCertificate() returns {} when the peer sent no certificate.
  if (cert === null || typeof cert !== 'object' || !Buffer.isBuffer(cert.raw) || cert.raw.length === 0) {
    throw new PkiError('PCL_PKI_PEER_NO_CERT');
  }
  const uris = parseSubjectAltName(cert.subjectaltname)
    .filter((n) => n.type === 'URI' && n.value.startsWith('spiffe://'))
    .map((n) => n.value);
  if (uris.length > 1) throw new PkiError('PCL_PKI_PEER_AMBIGUOUS', `(${uris.length} spiffe:// URIs)`);
  const cn: unknown = (cert.subject as unknown as NameObject | undefined)?.CN;
  const cns = Array.isArray(cn) ? cn : typeof cn === 'string' ? [cn] : [];
  const uri = uris[0];
  const commonName = cns.length === 1 ? cns[0] : undefined;
  if (uri === undefined && cns.length > 1) throw new PkiError('PCL_PKI_PEER_AMBIGUOUS', `(${cns.length} CNs)`);
  const id = uri ?? commonName;
  if (id === undefined || id === '') throw new PkiError('PCL_PKI_PEER_NO_IDENTITY');
  const identity: PeerIdentity = {
    id,
    serial: normalizeSerial(cert.serialNumber),
    fingerprint256: cert.fingerprint256,
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    raw: cert.raw,
    validTo: new Date(cert.valid_to),
  };
  if (uri !== undefined) identity.uri = uri;
  if (commonName !== undefined) identity.commonName = commonName;
  return identity;
}
