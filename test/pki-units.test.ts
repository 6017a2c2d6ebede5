// The small decision functions on their own: serial normalization, SAN parsing, IP parsing.
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { PkiError, normalizeSerial, parseSubjectAltName, peerIdentity } from '../pki/index.js';
import type { PeerCertificate } from 'node:tls';
import { parseIp } from '../pki/validate.js';
import { serialToDerHex } from '../pki/serial.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof PkiError) return err.code;
    throw err;
  }
  return undefined;
}

describe('normalizeSerial', () => {
  it.each([
    ['0a1b', 'A1B'],
    ['0A:1B', 'A1B'],
    ['0x00FF', 'FF'],
    ['000', '0'],
    ['7fffffffffffffffffffffffffffffff', '7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'],
    [`00${'F'.repeat(40)}`, 'F'.repeat(40)],
  ])('%j → %j', (input, expected) => {
    expect(normalizeSerial(input)).toBe(expected);
  });

  it.each(['', 'g', '0x', '1 2', '+1', 'F'.repeat(41), 'A'.repeat(129)])('refuses %j', (input) => {
    expect(code(() => normalizeSerial(input))).toBe('PCL_PKI_BAD_SERIAL');
  });

  it('encodes serials as minimal positive DER integers', () => {
    expect(serialToDerHex('ABC')).toBe('0ABC');
    expect(serialToDerHex('80')).toBe('0080');
    expect(serialToDerHex('7F')).toBe('7F');
    expect(serialToDerHex('8')).toBe('08');
  });
});

describe('parseSubjectAltName', () => {
  it('reads Node\'s plain form', () => {
    expect(parseSubjectAltName('URI:spiffe://td/svc/a, DNS:a.local, IP Address:::1')).toEqual([
      { type: 'URI', value: 'spiffe://td/svc/a' },
      { type: 'DNS', value: 'a.local' },
      { type: 'IP Address', value: '::1' },
    ]);
    expect(parseSubjectAltName(undefined)).toEqual([]);
    expect(parseSubjectAltName('')).toEqual([]);
  });

  it('does not let one quoted SAN smuggle in a second identity (real Node output)', () => {
    // A single URI whose text contains ", URI:…": Node prints it JSON-quoted with \u002c.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date();
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ name: 'commonName', value: 'x' }]);
    cert.setIssuer([{ name: 'commonName', value: 'x' }]);
    cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 6, value: 'spiffe://td/svc/a, URI:spiffe://td/svc/admin' }, { type: 2, value: 'b.local' }] }]);
    cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), forge.md.sha256.create());
    const text = new X509Certificate(forge.pki.certificateToPem(cert)).subjectAltName ?? '';
    expect(text.startsWith('URI:"')).toBe(true);
    expect(parseSubjectAltName(text)).toEqual([
      { type: 'URI', value: 'spiffe://td/svc/a, URI:spiffe://td/svc/admin' },
      { type: 'DNS', value: 'b.local' },
    ]);
  });

  it('reads quoted values with escapes', () => {
    expect(parseSubjectAltName('URI:"spiffe://td/svc/\\"q\\"", DNS:x')).toEqual([
      { type: 'URI', value: 'spiffe://td/svc/"q"' },
      { type: 'DNS', value: 'x' },
    ]);
  });

  it.each(['URI', 'URI:"unterminated', 'URI:a,b', 'URI:a, ', ', URI:a', 'URI:"a"x', ':a', 'URI:a,  DNS:b', 'UR"I:a'])('refuses %j', (text) => {
    expect(code(() => parseSubjectAltName(text))).toBe('PCL_PKI_PEER_SAN_INVALID');
  });
});

describe('peerIdentity', () => {
  it('treats the empty object Node returns without a client certificate as no certificate', () => {
    expect(code(() => peerIdentity({} as PeerCertificate))).toBe('PCL_PKI_PEER_NO_CERT');
  });
});

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', '7f000001'],
    ['::1', '::1', `${'0'.repeat(30)}01`],
    ['::', '::', '0'.repeat(32)],
    ['2001:DB8::0001', '2001:db8::1', '20010db8000000000000000000000001'],
    ['::ffff:1.2.3.4', '::ffff:102:304', '00000000000000000000ffff01020304'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', '00010002000300040005000600070000'],
  ])('%j → %j', (input, text, hex) => {
    const ip = parseIp(input);
    expect(ip.text).toBe(text);
    expect(ip.bytes.toString('hex')).toBe(hex);
  });
});
