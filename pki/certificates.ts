// Builds and signs X.509 certificates. Keys come from Node's crypto (fast, audited); node-forge only
// assembles and signs the certificate, which is why keys are RSA: forge cannot sign with anything else.
// No file I/O here: callers decide where material lives.
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from './errors.js';
import { serialToDerHex } from './serial.js';

export interface KeyPairPem {
  /** PKCS#8 PEM. Secret. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

/** A CA as PEM, the key still unparsed so it is only decoded when something is signed. */
export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export type SubjectAltName =
  | { type: 'dns'; value: string }
  | { type: 'ip'; text: string; bytes: Buffer }
  | { type: 'uri'; value: string };

export function generateRsaKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** How a SAN is written in index.json and shown to operators (openssl's spelling). */
export function sanLabel(san: SubjectAltName): string {
  switch (san.type) {
    case 'dns':
      return `DNS:${san.value}`;
    case 'ip':
      return `IP:${san.text}`;
    case 'uri':
      return `URI:${san.value}`;
  }
}

// UTF8String rather than forge's default PrintableString, which cannot hold "_" and so would make
// names like "billing_api" an invalid encoding.
const UTF8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class;

function commonNameSubject(cn: string): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: cn, valueTagClass: UTF8 }];
}

/** Self-signed CA certificate. The caller supplies the key so key generation stays out of the signing path. */
export function createCaCertificate(opts: {
  commonName: string;
  keyPair: KeyPairPem;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}): string {
  const key = forge.pki.privateKeyFromPem(opts.keyPair.privateKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.keyPair.publicKeyPem);
  cert.serialNumber = serialToDerHex(opts.serial);
  cert.validity.notBefore = opts.notBefore;
  cert.validity.notAfter = opts.notAfter;
  cert.setSubject(commonNameSubject(opts.commonName));
  cert.setIssuer(commonNameSubject(opts.commonName));
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: true },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A CA parsed for signing. Throws PCL_PKI_CA_INVALID when the files are damaged or do not belong together. */
export interface LoadedCa {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  /** The CA's subjectKeyIdentifier octets (forge binary string), for authorityKeyIdentifier. */
  keyIdentifier: string;
  notAfter: Date;
}

export function loadCa(material: CaMaterial): LoadedCa {
  let cert: forge.pki.Certificate;
  let key: forge.pki.rsa.PrivateKey;
  let reason = 'ca.crt or ca.key does not parse';
  try {
    const nodeCert = new X509Certificate(material.certPem);
    const certSpki = nodeCert.publicKey.export({ type: 'spki', format: 'der' });
    const keySpki = createPublicKey(createPrivateKey(material.keyPem)).export({ type: 'spki', format: 'der' });
    reason = 'ca.key does not belong to ca.crt';
    if (!certSpki.equals(keySpki)) throw new Error(reason);
    reason = 'ca.crt is not a CA certificate';
    if (!nodeCert.ca) throw new Error(reason);
    reason = 'ca.crt or ca.key is not RSA';
    cert = forge.pki.certificateFromPem(material.certPem);
    key = forge.pki.privateKeyFromPem(material.keyPem);
  } catch {
    // Parser errors are replaced by our own reason: a key parser's message is not something to echo.
    throw new PkiError('PCL_PKI_CA_INVALID', `(${reason})`);
  }
  const ski = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  const keyIdentifier = ski?.subjectKeyIdentifier !== undefined
    ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
    : cert.generateSubjectKeyIdentifier().getBytes();
  return { cert, key, keyIdentifier, notAfter: cert.validity.notAfter };
}

/** A leaf certificate (server or client) signed by the CA. */
export function createLeafCertificate(opts: {
  ca: LoadedCa;
  publicKeyPem: string;
  commonName: string;
  sans: SubjectAltName[];
  usage: 'serverAuth' | 'clientAuth';
  serial: string;
  notBefore: Date;
  notAfter: Date;
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicKeyPem);
  cert.serialNumber = serialToDerHex(opts.serial);
  cert.validity.notBefore = opts.notBefore;
  cert.validity.notAfter = opts.notAfter;
  cert.setSubject(commonNameSubject(opts.commonName));
  cert.setIssuer(opts.ca.cert.subject.attributes);
  const altNames = opts.sans.map((san) => {
    switch (san.type) {
      case 'dns':
        return { type: 2, value: san.value };
      case 'ip':
        // Raw octets rather than forge's `ip` field: forge mis-parses IPv6 with an embedded IPv4 tail.
        return { type: 7, value: san.bytes.toString('binary') };
      case 'uri':
        return { type: 6, value: san.value };
    }
  });
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    // keyEncipherment lets TLS 1.2 RSA key exchange work for servers; clients only ever sign.
    opts.usage === 'serverAuth'
      ? { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', [opts.usage]: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: opts.ca.keyIdentifier },
  ]);
  cert.sign(opts.ca.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
