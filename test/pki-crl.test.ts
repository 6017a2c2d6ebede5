// Revocation: the CRL as openssl and Node's TLS stack read it, and the revocation list the gateway polls.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkiError, RevocationSource, isCertRevoked, normalizeSerial, openPki, readRevokedSerials, type IssuedCert } from '../pki/index.js';
import { makeTestPki, openssl, type TestPki } from './helpers/pki.js';

let t: TestPki;
let caFile: string;
let good: IssuedCert;
let bad: IssuedCert;
let other: IssuedCert;
let files: { good: string; bad: string; other: string };

beforeAll(async () => {
  t = await makeTestPki();
  caFile = join(t.dir, 'ca.crt');
  good = await t.pki.issueClient({ kind: 'svc', name: 'good' });
  bad = await t.pki.issueClient({ kind: 'svc', name: 'stolen' });
  other = await t.pki.issueServer({ name: 'old-server', dnsNames: ['old.internal'] });
  files = { good: (await t.save('good', good)).cert, bad: (await t.save('bad', bad)).cert, other: (await t.save('other', other)).cert };
});
afterAll(() => t.cleanup());

/** openssl prints whole bytes, so a serial with an odd number of digits gets a leading 0. */
function asOpenssl(serial: string): string {
  return serial.length % 2 === 1 ? `0${serial}` : serial;
}

function crlNumber(crlFile: string): number {
  const text = openssl(['crl', '-in', crlFile, '-noout', '-text']).stdout;
  const m = /CRL Number:\s*\n?\s*(\d+)/.exec(text);
  if (m?.[1] === undefined) throw new Error(`no CRL number in:\n${text}`);
  return Number(m[1]);
}

describe('an empty CRL', () => {
  it('is signed by the CA, has no revokedCertificates field, and passes certificates', async () => {
    const crlFile = await t.file('empty.crl.pem', await t.pki.crlPem());
    const text = openssl(['crl', '-in', crlFile, '-noout', '-text']).stdout;
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('No Revoked Certificates.');
    expect(text).toContain('Authority Key Identifier');
    expect(openssl(['crl', '-in', crlFile, '-noout', '-CAfile', caFile]).stderr).toContain('verify OK');
    expect(openssl(['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', caFile, files.good]).status).toBe(0);
  });
});

describe('revoking', () => {
  let crlFile: string;
  let firstNumber: number;

  beforeAll(async () => {
    const before = await t.file('before.crl.pem', await t.pki.crlPem());
    firstNumber = crlNumber(before);
    // Spelled the way openssl prints it, to show any spelling normalizeSerial accepts works.
    const opensslSpelling = asOpenssl(bad.serial).toLowerCase().match(/../g)?.join(':') ?? '';
    await t.pki.revoke(opensslSpelling, 'keyCompromise');
    await t.pki.revoke(other.serial);
    crlFile = await t.file('crl.pem', await t.pki.crlPem({ nextUpdateDays: 2 }));
  });

  it('makes openssl refuse the revoked certificate with "certificate revoked"', () => {
    const r = openssl(['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', caFile, files.bad]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('certificate revoked');
  });

  it('still passes a certificate that was not revoked, with the same CRL', () => {
    const r = openssl(['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', caFile, files.good]);
    expect(r.stdout).toContain(': OK');
    expect(r.status).toBe(0);
  });

  it('lists each revoked serial, its date and reason, and a CRL number larger than the last', () => {
    const text = openssl(['crl', '-in', crlFile, '-noout', '-text']).stdout;
    expect(text).toContain(`Serial Number: ${asOpenssl(bad.serial)}`);
    expect(text).toContain(`Serial Number: ${asOpenssl(other.serial)}`);
    expect(text).not.toContain(`Serial Number: ${asOpenssl(good.serial)}`);
    expect(text).toMatch(/CRL Reason Code:\s*\n\s*Key Compromise/);
    // "unspecified" (no reason given) is expressed by leaving the extension out.
    expect(text.match(/CRL Reason Code/g)).toHaveLength(1);
    expect(crlNumber(crlFile)).toBe(firstNumber + 1);
    const nextUpdate = /Next Update: (.+)/.exec(text)?.[1] ?? '';
    expect((Date.parse(nextUpdate) - Date.now()) / 86_400_000).toBeCloseTo(2, 1);
  });

  it('keeps CRL numbers increasing across handles, persisted in crlnumber', async () => {
    const reopened = await openPki(t.dir);
    const next = await reopened.crl();
    expect(Number(next.number)).toBe(firstNumber + 2);
    expect((await readFile(join(t.dir, 'crlnumber'), 'utf8')).trim()).toBe(String(firstNumber + 2));
    expect(crlNumber(await t.file('later.crl.pem', next.pem))).toBe(firstNumber + 2);
  });

  it('shows up in list() and is idempotent, keeping the original date and reason', async () => {
    const first = (await t.pki.list()).find((c) => c.serial === bad.serial);
    expect(first).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const again = await t.pki.revoke(bad.serial, 'superseded');
    expect(again.alreadyRevoked).toBe(true);
    expect(again.record.reason).toBe('keyCompromise');
    expect(again.record.revokedAt).toBe(first?.revokedAt);
  });
});

describe('the revocation list for the gateway', () => {
  it('readRevokedSerials returns exactly the revoked serials, normalized', async () => {
    const revoked = await readRevokedSerials(t.dir);
    expect([...revoked].sort()).toEqual([bad.serial, other.serial].sort());
    expect(isCertRevoked(`00${bad.serial.toLowerCase()}`, revoked)).toBe(true);
    expect(isCertRevoked(good.serial, revoked)).toBe(false);
    // A serial we cannot even parse fails closed.
    expect(isCertRevoked('not hex', revoked)).toBe(true);
  });

  it('RevocationSource refuses to answer before it is loaded, then reports changes only when they happen', async () => {
    const source = new RevocationSource(t.dir);
    expect(() => source.isRevoked(bad.serial)).toThrowError(expect.objectContaining({ code: 'PCL_PKI_REVOCATIONS_NOT_LOADED' }));
    expect(await source.refresh()).toBe(true);
    expect(source.isRevoked(bad.serial)).toBe(true);
    expect(source.isRevoked(good.serial)).toBe(false);
    expect(await source.refresh()).toBe(false);

    await t.pki.revoke(good.serial, 'cessationOfOperation');
    expect(await source.refresh()).toBe(true);
    expect(source.isRevoked(normalizeSerial(`0x${good.serial}`))).toBe(true);
    expect(source.serials.size).toBe(3);
  });

  it('RevocationSource keeps the last good list when index.json is corrupted, and says so', async () => {
    const source = new RevocationSource(t.dir);
    await source.refresh();
    const indexFile = join(t.dir, 'index.json');
    const saved = await readFile(indexFile, 'utf8');
    try {
      await writeFile(indexFile, '{"version":1,"trustDomain":"portcullis.test","certs":[');
      const err = await source.refresh().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PkiError);
      expect((err as PkiError).code).toBe('PCL_PKI_INDEX_CORRUPT');
      expect(source.isRevoked(bad.serial)).toBe(true);
      await expect(readRevokedSerials(t.dir)).rejects.toMatchObject({ code: 'PCL_PKI_INDEX_CORRUPT' });
    } finally {
      await writeFile(indexFile, saved);
    }
    expect(await source.refresh()).toBe(false);
  });
});
