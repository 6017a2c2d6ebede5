// Small DER building blocks for the structures node-forge cannot build itself (the CRL). forge's
// ASN.1 values hold "binary strings" (one char per byte); these helpers hide that.
import forge from 'node-forge';
import { serialToDerHex } from './serial.js';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

export const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
} as const;

export function seq(items: Asn1[]): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
}

export function oid(dotted: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
}

/** INTEGER from a non-negative bigint, minimally encoded. */
export function integer(value: bigint): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, forge.util.hexToBytes(serialToDerHex(value.toString(16).toUpperCase())));
}

/** INTEGER from a normalized hex serial. */
export function serialInteger(normalized: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, forge.util.hexToBytes(serialToDerHex(normalized)));
}

export function enumerated(value: number): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.ENUMERATED, false, String.fromCharCode(value));
}

export function octetString(bytes: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
}

/** BIT STRING with zero unused bits, as signatures are. */
export function bitString(bytes: Buffer): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${bytes.toString('binary')}`);
}

export function contextPrimitive(tag: number, bytes: string): Asn1 {
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, false, bytes);
}

export function contextExplicit(tag: number, inner: Asn1): Asn1 {
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, true, [inner]);
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Asn1 {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

export function sha256WithRsaAlgorithm(): Asn1 {
  return seq([oid(OID.sha256WithRSAEncryption), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]);
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function extension(extnId: string, critical: boolean, value: Asn1): Asn1 {
  const parts = [oid(extnId)];
  // DER forbids encoding a DEFAULT value, so `critical` is present only when true.
  if (critical) parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\u00ff'));
  parts.push(octetString(toDer(value)));
  return seq(parts);
}

/** DER as a forge binary string. */
export function toDer(value: Asn1): string {
  return asn1.toDer(value).getBytes();
}

export function toBuffer(value: Asn1): Buffer {
  return Buffer.from(toDer(value), 'binary');
}
