// Serial numbers are the revocation key, so every place that compares them goes through
// `normalizeSerial`: Node prints "0A1B…", openssl prints "0a:1b:…", operators type "0x…".
import { randomBytes } from 'node:crypto';
import { PkiError, quote } from './errors.js';

/** RFC 5280 caps serials at 20 octets. */
const MAX_SERIAL_HEX_DIGITS = 40;

/**
 * The canonical form of a certificate serial: uppercase hex, no leading zeros, no separators.
 * Accepts an optional `0x` prefix and `:` separators. Throws `PCL_PKI_BAD_SERIAL` otherwise.
 *
 * @example
 * normalizeSerial('0x00a1:b2'); // 'A1B2'
 * normalizeSerial(peer.serialNumber) === normalizeSerial(record.serial);
 */
export function normalizeSerial(serial: string): string {
  if (typeof serial !== 'string' || serial.length > 128) {
    throw new PkiError('PCL_PKI_BAD_SERIAL', `Got ${quote(serial)}`);
  }
  const hex = serial.replace(/^0[xX]/, '').replaceAll(':', '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) {
    throw new PkiError('PCL_PKI_BAD_SERIAL', `Got ${quote(serial)}`);
  }
  const trimmed = hex.replace(/^0+/, '').toUpperCase() || '0';
  if (trimmed.length > MAX_SERIAL_HEX_DIGITS) {
    throw new PkiError('PCL_PKI_BAD_SERIAL', `Got ${quote(serial)}`);
  }
  return trimmed;
}

/** A fresh 128-bit positive serial (high bit cleared so DER never needs a sign byte), normalized. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return normalizeSerial(bytes.toString('hex'));
}

/**
 * The DER INTEGER content octets (as hex) for a normalized serial: even length, minimal, and a 00
 * prefix when the top bit is set so the value stays positive. OpenSSL rejects non-minimal integers.
 */
export function serialToDerHex(normalized: string): string {
  let hex = normalized.length % 2 === 1 ? `0${normalized}` : normalized;
  if (parseInt(hex.slice(0, 1), 16) >= 8) hex = `00${hex}`;
  return hex;
}
