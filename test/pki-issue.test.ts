// Issuing: what a certificate from `initPki` / `issueServer` / `issueClient` looks like to openssl and
// to Node, and what gets recorded.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certStatus, openPki, type IssuedCert } from '../pki/index.js';
import { makeTestPki, openssl, type TestPki } from './helpers/pki.js';

const DAY = 86_400_000;

let t: TestPki;
let server: IssuedCert;
let client: IssuedCert;
let files: { ca: string; server: string; client: string };

beforeAll(async () => {
  t = await makeTestPki({ trustDomain: 'corp.example' });
  server = await t.pki.issueServer({ name: 'gateway', dnsNames: ['localhost', 'GW.Internal'], ipAddresses: ['127.0.0.1', '::1'] });
  client = await t.pki.issueClient({ kind: 'svc', name: 'billing_api', days: 7 });
  files = {
    ca: join(t.dir, 'ca.crt'),
    server: (await t.save('server', server)).cert,
    client: (await t.save('client', client)).cert,
  };
});
afterAll(() => t.cleanup());

describe('the CA', () => {
  it('is a self-signed CA that openssl accepts, valid for 10 years, with critical CA constraints', () => {
    const ca = new X509Certificate(t.pki.ca);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=Portcullis CA (corp.example)');
    expect(ca.checkIssued(ca)).toBe(true);
    const years = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365.25 * DAY);
    expect(years).toBeGreaterThan(9.99);
    expect(years).toBeLessThan(10.01);
    const text = openssl(['x509', '-in', files.ca, '-noout', '-text']).stdout;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('Subject Key Identifier');
    expect(text).toContain('sha256WithRSAEncryption');
    expect(openssl(['verify', '-CAfile', files.ca, files.ca]).status).toBe(0);
  });

  it('keeps its key private to the owner and its state files in place', async () => {
    expect((await stat(join(t.dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(t.dir)).mode & 0o077).toBe(0);
    expect((await readFile(join(t.dir, 'crlnumber'), 'utf8')).trim()).toBe('0');
  });
});

describe('a server certificate', () => {
  it('verifies against the CA with openssl', () => {
    const r = openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslserver', files.server]);
    expect(r.stdout).toContain(': OK');
    expect(r.status).toBe(0);
  });

  it('carries the DNS and IP SANs (DNS lowercased), serverAuth, CN = name and a 90-day default life', () => {
    const cert = new X509Certificate(server.certPem);
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:gw.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.subject).toBe('CN=gateway');
    expect(cert.checkHost('gw.internal')).toBe('gw.internal');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.ca).toBe(false);
    const days = (Date.parse(cert.validTo) - Date.now()) / DAY;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    // Backdated for clock skew.
    expect(Date.now() - Date.parse(cert.validFrom)).toBeGreaterThanOrEqual(4.5 * 60_000);
    const text = openssl(['x509', '-in', files.server, '-noout', '-text']).stdout;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toContain('Authority Key Identifier');
  });

  it('names the CA key in authorityKeyIdentifier', () => {
    const keyId = (file: string, label: string): string => {
      const text = openssl(['x509', '-in', file, '-noout', '-ext', label]).stdout;
      return text.split('\n')[1]?.trim().replace(/^keyid:/, '') ?? '';
    };
    expect(keyId(files.server, 'authorityKeyIdentifier')).toBe(keyId(files.ca, 'subjectKeyIdentifier'));
    expect(keyId(files.ca, 'subjectKeyIdentifier')).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  });

  it('comes with a chain of leaf then CA, and a private key that matches it', () => {
    expect(server.chainPem).toBe(server.certPem + t.pki.ca);
    const cert = new X509Certificate(server.certPem);
    expect(cert.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true);
  });
});

describe('a client certificate', () => {
  it('verifies against the CA with openssl for client auth', () => {
    const r = openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslclient', files.client]);
    expect(r.status).toBe(0);
  });

  it('has exactly the spiffe URI SAN, clientAuth only, CN = name and the requested life', () => {
    const cert = new X509Certificate(client.certPem);
    expect(client.identity).toBe('spiffe://corp.example/svc/billing_api');
    expect(cert.subjectAltName).toBe('URI:spiffe://corp.example/svc/billing_api');
    expect(cert.subject).toBe('CN=billing_api');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const days = (Date.parse(cert.validTo) - Date.now()) / DAY;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
  });

  it('builds the identity for every client kind', async () => {
    const user = await t.pki.issueClient({ kind: 'user', name: 'alice' });
    const kms = await t.pki.issueClient({ kind: 'kms', name: 'node-2' });
    expect(user.identity).toBe('spiffe://corp.example/user/alice');
    expect(kms.identity).toBe('spiffe://corp.example/kms/node-2');
  });
});

describe('serial numbers', () => {
  it('are random, positive, at most 128 bits, and match what Node reports', async () => {
    const serials = [server, client].map((c) => c.serial);
    expect(new Set(serials).size).toBe(serials.length);
    for (const issued of [server, client]) {
      expect(issued.serial).toMatch(/^[1-9A-F][0-9A-F]*$/);
      expect(BigInt(`0x${issued.serial}`) < 2n ** 127n).toBe(true);
      const fromNode = new X509Certificate(issued.certPem).serialNumber.replace(/^0+/, '');
      expect(fromNode).toBe(issued.serial);
    }
  });
});

describe('the index', () => {
  it('records every issued certificate with what an operator needs to find and revoke it', async () => {
    const list = await (await openPki(t.dir)).list();
    const rec = list.find((c) => c.serial === client.serial);
    expect(rec).toMatchObject({
      kind: 'client',
      name: 'billing_api',
      identity: 'spiffe://corp.example/svc/billing_api',
      sans: ['URI:spiffe://corp.example/svc/billing_api'],
      fingerprint256: new X509Certificate(client.certPem).fingerprint256,
      status: 'valid',
    });
    expect(rec?.notAfter).toBe(new Date(new X509Certificate(client.certPem).validTo).toISOString());
    const srv = list.find((c) => c.serial === server.serial);
    expect(srv).toMatchObject({ kind: 'server', identity: 'gateway', sans: ['DNS:localhost', 'DNS:gw.internal', 'IP:127.0.0.1', 'IP:::1'] });
  });

  it('never contains private keys', async () => {
    const text = await readFile(join(t.dir, 'index.json'), 'utf8');
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(server.keyPem.split('\n')[1]);
  });

  it('reports expired certificates as expired', async () => {
    const rec = (await t.pki.list()).find((c) => c.serial === client.serial);
    if (rec === undefined) throw new Error('missing record');
    expect(certStatus(rec, new Date(Date.now() + 8 * DAY))).toBe('expired');
  });
});
