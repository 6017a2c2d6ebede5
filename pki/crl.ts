// Builds an RFC 5280 X.509 v2 CRL. node-forge has no CRL support, so the TBSCertList is assembled
// with forge.asn1 and signed with Node's crypto over its exact DER bytes.
import { sign } from 'node:crypto';
import forge from 'node-forge';
import type { LoadedCa } from './certificates.js';
import {
  OID,
  bitString,
  contextExplicit,
  contextPrimitive,
  enumerated,
  extension,
  integer,
  seq,
  serialInteger,
  sha256WithRsaAlgorithm,
  time,
  toBuffer,
} from './der.js';
import { REVOCATION_REASONS, type RevocationReason } from './validate.js';

export interface CrlEntry {
  /** Normalized serial. */
  serial: string;
  revokedAt: Date;
  reason?: RevocationReason;
}

export interface CrlInput {
  ca: LoadedCa;
  /** PEM of the CA key; crypto.sign takes it directly. Secret. */
  caKeyPem: string;
  entries: CrlEntry[];
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * The issuer Name copied byte for byte from the CA certificate: verifiers match CRL issuer to
 * certificate issuer by DER comparison, and re-encoding could change a string type.
 */
function issuerName(ca: LoadedCa): forge.asn1.Asn1 {
  const tbs = (forge.pki.certificateToAsn1(ca.cert).value as forge.asn1.Asn1[])[0];
  const fields = tbs?.value as forge.asn1.Asn1[] | undefined;
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, ...
  const subject = fields?.[5];
  if (subject === undefined) throw new Error('CA certificate has no subject');
  return subject;
}

function revokedEntry(entry: CrlEntry): forge.asn1.Asn1 {
  const parts = [serialInteger(entry.serial), time(entry.revokedAt)];
  // RFC 5280 5.3.1: "unspecified" SHOULD be expressed by leaving reasonCode out.
  if (entry.reason !== undefined && entry.reason !== 'unspecified') {
    parts.push(seq([extension(OID.reasonCode, false, enumerated(REVOCATION_REASONS[entry.reason]))]));
  }
  return seq(parts);
}

/**
 * A DER-encoded, CA-signed X.509 v2 CRL.
 *
 * @example
 * const der = buildCrl({ ca, caKeyPem, entries: [{ serial: 'A1B2', revokedAt: new Date() }],
 *   crlNumber: 7n, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 7 * 86_400_000) });
 */
export function buildCrl(input: CrlInput): Buffer {
  const fields: forge.asn1.Asn1[] = [
    integer(1n), // v2
    sha256WithRsaAlgorithm(),
    issuerName(input.ca),
    time(input.thisUpdate),
    time(input.nextUpdate),
  ];
  // RFC 5280 5.1.2.6: an empty list is expressed by omitting the field, not by an empty SEQUENCE.
  if (input.entries.length > 0) fields.push(seq(input.entries.map(revokedEntry)));
  fields.push(
    contextExplicit(
      0,
      seq([
        extension(OID.authorityKeyIdentifier, false, seq([contextPrimitive(0, input.ca.keyIdentifier)])),
        extension(OID.cRLNumber, false, integer(input.crlNumber)),
      ]),
    ),
  );
  const tbs = seq(fields);
  const tbsDer = toBuffer(tbs);
  const signature = sign('sha256', tbsDer, input.caKeyPem);
  return toBuffer(seq([tbs, sha256WithRsaAlgorithm(), bitString(signature)]));
}

/** PEM armour for a DER CRL. */
export function crlToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n`;
}
