// Bad input and damaged state: every refusal carries a stable code, and nothing on disk changes.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkiError, initPki, openPki, readRevokedSerials, type IssuedCert, type Pki, type PkiErrorCode } from '../pki/index.js';
import { makeTestPki, openssl, type TestPki } from './helpers/pki.js';

let t: TestPki;
let issued: IssuedCert;

beforeAll(async () => {
  t = await makeTestPki();
  issued = await t.pki.issueClient({ kind: 'svc', name: 'victim' });
});
afterAll(() => t.cleanup());

/** Snapshot of every file in the PKI directory, to show a refusal changed nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name === 'archive') continue;
    out[name] = await readFile(join(dir, name), 'utf8');
  }
  return out;
}

async function expectCode(promise: Promise<unknown>, code: PkiErrorCode): Promise<PkiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PkiError);
  expect((err as PkiError).code).toBe(code);
  return err as PkiError;
}

describe('names, domains and addresses', () => {
  const badNames = ['', 'a'.repeat(65), '../admin', '.', '..', 'svc/admin', 'a b', 'é', 'x\n', 'nul\u0000', 'spiffe://x/y', 'a,URI:x'];

  it.each(badNames)('refuses the name %j for clients and servers, and records nothing', async (name) => {
    const before = await snapshot(t.dir);
    await expectCode(t.pki.issueClient({ kind: 'svc', name }), 'PCL_PKI_BAD_NAME');
    await expectCode(t.pki.issueServer({ name, dnsNames: ['ok.internal'] }), 'PCL_PKI_BAD_NAME');
    expect(await snapshot(t.dir)).toEqual(before);
  });

  it('escapes control characters when it quotes a bad name back', async () => {
    const err = await expectCode(t.pki.issueClient({ kind: 'user', name: '\u001b[31mred' }), 'PCL_PKI_BAD_NAME');
    expect(err.message).not.toContain('\u001b');
    expect(err.message).toContain('\\u001b');
  });

  it.each(['Portcullis.local', 'a..b', '-a.b', 'a-.b', 'a_b', 'x'.repeat(254), '', 'a/b', 'spiffe://x', 'td.local.'])(
    'refuses the trust domain %j before creating anything',
    async (trustDomain) => {
      const dir = join(t.root, 'never-created');
      await expectCode(initPki(dir, { trustDomain }), 'PCL_PKI_BAD_TRUST_DOMAIN');
      await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it.each(['a..b', '-a.internal', 'a-.internal', '*.internal', 'x.internal.', '1.2.3.4', '10.0.0.300', 'a_b.internal', `${'a'.repeat(64)}.internal`, 'a b', '', 'a\u0000b'])(
    'refuses the DNS name %j',
    async (dns) => {
      await expectCode(t.pki.issueServer({ name: 'srv', dnsNames: [dns] }), 'PCL_PKI_BAD_DNS_NAME');
    },
  );

  it.each(['256.1.1.1', '1.2.3', '01.2.3.4', 'fe80::1%eth0', '10.0.0.0/8', '::g', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'localhost', ''])(
    'refuses the IP address %j',
    async (ip) => {
      await expectCode(t.pki.issueServer({ name: 'srv', ipAddresses: [ip] }), 'PCL_PKI_BAD_IP');
    },
  );

  it('refuses a server certificate without SANs, or with too many', async () => {
    await expectCode(t.pki.issueServer({ name: 'srv' }), 'PCL_PKI_NO_SANS');
    const many = Array.from({ length: 101 }, (_, i) => `h${i}.internal`);
    await expectCode(t.pki.issueServer({ name: 'srv', dnsNames: many }), 'PCL_PKI_TOO_MANY_SANS');
  });

  it.each([0, -1, 1.5, 3651, Number.NaN])('refuses %j days', async (days) => {
    await expectCode(t.pki.issueClient({ kind: 'svc', name: 'x', days }), 'PCL_PKI_BAD_DAYS');
  });

  it('refuses unknown client kinds, including "server"', async () => {
    await expectCode(t.pki.issueClient({ kind: 'admin' as 'svc', name: 'x' }), 'PCL_PKI_BAD_KIND');
    await expectCode(t.pki.issueClient({ kind: 'server' as 'svc', name: 'x' }), 'PCL_PKI_BAD_KIND');
  });
});

describe('serials and reasons', () => {
  it.each(['xyz', '', '0x', 'A'.repeat(41), '12 34', '-1', '0x-1', 'AB\n'])('refuses the serial %j', async (serial) => {
    await expectCode(t.pki.revoke(serial), 'PCL_PKI_BAD_SERIAL');
  });

  it('refuses a serial this CA never issued instead of pretending to revoke it', async () => {
    const before = await snapshot(t.dir);
    await expectCode(t.pki.revoke('ABCDEF'), 'PCL_PKI_UNKNOWN_SERIAL');
    expect(await snapshot(t.dir)).toEqual(before);
  });

  it('refuses an unknown reason and leaves the certificate valid', async () => {
    await expectCode(t.pki.revoke(issued.serial, 'certificateHold' as 'superseded'), 'PCL_PKI_BAD_REASON');
    expect((await readRevokedSerials(t.dir)).has(issued.serial)).toBe(false);
  });
});

describe('a corrupt index.json', () => {
  const corruptions: Record<string, string> = {
    'truncated JSON': '{"version":1,"trustDomain":"portcullis.test","certs":[{"serial":"AB',
    'empty file': '',
    'an array': '[]',
    'a future version': '{"version":2,"trustDomain":"portcullis.test","certs":[]}',
    'a bad trust domain': '{"version":1,"trustDomain":"UPPER","certs":[]}',
    'certs not a list': '{"version":1,"trustDomain":"portcullis.test","certs":{}}',
    'a non-hex serial': '{"version":1,"trustDomain":"portcullis.test","certs":[{"serial":"XYZ"}]}',
    'a duplicate serial': JSON.stringify({
      version: 1,
      trustDomain: 'portcullis.test',
      certs: [1, 2].map(() => ({ serial: 'AB', kind: 'client', name: 'a', identity: 'a', sans: [], notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2026-01-01T00:00:00.000Z', fingerprint256: 'x' })),
    }),
    'a bad revokedAt': JSON.stringify({
      version: 1,
      trustDomain: 'portcullis.test',
      certs: [{ serial: 'AB', kind: 'client', name: 'a', identity: 'a', sans: [], notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2026-01-01T00:00:00.000Z', fingerprint256: 'x', revokedAt: 'yesterday' }],
    }),
  };

  let c: TestPki;
  let handle: Pki;
  let victim: IssuedCert;
  beforeAll(async () => {
    c = await makeTestPki();
    victim = await c.pki.issueClient({ kind: 'svc', name: 'victim' });
    await c.pki.revoke(victim.serial, 'keyCompromise');
    handle = await openPki(c.dir);
  });
  afterAll(() => c.cleanup());

  it.each(Object.entries(corruptions))('with %s stops every operation and is left untouched', async (_label, text) => {
    const indexFile = join(c.dir, 'index.json');
    const good = await readFile(indexFile, 'utf8');
    await writeFile(indexFile, text);
    try {
      const before = await snapshot(c.dir);
      const err = await expectCode(openPki(c.dir), 'PCL_PKI_INDEX_CORRUPT');
      expect(err.message).toContain('index.json');
      await expectCode(readRevokedSerials(c.dir), 'PCL_PKI_INDEX_CORRUPT');
      await expectCode(handle.list(), 'PCL_PKI_INDEX_CORRUPT');
      await expectCode(handle.revoke(victim.serial), 'PCL_PKI_INDEX_CORRUPT');
      await expectCode(handle.issueClient({ kind: 'svc', name: 'new' }), 'PCL_PKI_INDEX_CORRUPT');
      await expectCode(handle.crl(), 'PCL_PKI_INDEX_CORRUPT');
      expect(await snapshot(c.dir)).toEqual(before);
    } finally {
      await writeFile(indexFile, good);
    }
    expect(await readRevokedSerials(c.dir)).toEqual(new Set([victim.serial]));
  });

  it('with a missing or damaged crlnumber refuses to sign rather than restart the sequence', async () => {
    const numberFile = join(c.dir, 'crlnumber');
    const good = await readFile(numberFile, 'utf8');
    try {
      await writeFile(numberFile, 'twelve\n');
      await expectCode(handle.crl(), 'PCL_PKI_CRLNUMBER_CORRUPT');
      expect(await readFile(numberFile, 'utf8')).toBe('twelve\n');
      await rm(numberFile);
      await expectCode(handle.crl(), 'PCL_PKI_CRLNUMBER_CORRUPT');
    } finally {
      await writeFile(numberFile, good);
    }
  });
});

describe('the CA itself', () => {
  it('is never overwritten without force, and force archives the old one', async () => {
    const c = await makeTestPki();
    try {
      const before = await snapshot(c.dir);
      await expectCode(initPki(c.dir, { trustDomain: 'other.test' }), 'PCL_PKI_EXISTS');
      expect(await snapshot(c.dir)).toEqual(before);

      const { pki, archivedTo } = await initPki(c.dir, { trustDomain: 'other.test', force: true });
      expect(pki.trustDomain).toBe('other.test');
      expect(pki.ca).not.toBe(before['ca.crt']);
      if (archivedTo === undefined) throw new Error('expected an archive');
      expect(await snapshot(archivedTo)).toEqual(before);
      // The old handle notices instead of signing with a CA that is gone.
      await expectCode(c.pki.issueClient({ kind: 'svc', name: 'late' }), 'PCL_PKI_CA_INVALID');
    } finally {
      await c.cleanup();
    }
  });

  it('is refused when ca.key does not belong to ca.crt, without echoing key material', async () => {
    const c = await makeTestPki();
    try {
      const other = await makeTestPki();
      await writeFile(join(c.dir, 'ca.key'), await readFile(join(other.dir, 'ca.key'), 'utf8'));
      await other.cleanup();
      const err = await expectCode(openPki(c.dir), 'PCL_PKI_CA_INVALID');
      expect(err.message).toContain('does not belong');
      expect(err.message).not.toMatch(/PRIVATE KEY|MII/);
      await writeFile(join(c.dir, 'ca.key'), '-----BEGIN PRIVATE KEY-----\nMIIsecretish\n-----END PRIVATE KEY-----\n');
      const garbled = await expectCode(openPki(c.dir), 'PCL_PKI_CA_INVALID');
      expect(garbled.message).not.toContain('MIIsecretish');
    } finally {
      await c.cleanup();
    }
  });

  it('reports a directory without a PKI as PCL_PKI_NOT_FOUND', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'portcullis-empty-'));
    try {
      const err = await expectCode(openPki(empty), 'PCL_PKI_NOT_FOUND');
      expect(err.message).toContain('portcullis pki init');
    } finally {
      await rm(empty, { recursive: true });
    }
  });

  it('refuses certificates that would outlive an (openssl-made) CA, and signs ones that do not', async () => {
    const c = await makeTestPki();
    try {
      const r = openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(c.dir, 'ca.key'), '-out', join(c.dir, 'ca.crt'), '-days', '30', '-subj', '/O=Imported/CN=Short CA'], { cwd: c.root });
      expect(r.status).toBe(0);
      const pki = await openPki(c.dir);
      await expectCode(pki.issueClient({ kind: 'svc', name: 'long', days: 31 }), 'PCL_PKI_CA_EXPIRES_FIRST');
      const ok = await pki.issueClient({ kind: 'svc', name: 'short', days: 10 });
      expect(new X509Certificate(ok.certPem).issuer).toBe('O=Imported\nCN=Short CA');
      const certFile = await c.file('short.crt', ok.certPem);
      expect(openssl(['verify', '-CAfile', join(c.dir, 'ca.crt'), certFile]).status).toBe(0);
      await pki.revoke(ok.serial);
      const crlFile = await c.file('short.crl', await pki.crlPem());
      const v = openssl(['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', join(c.dir, 'ca.crt'), certFile]);
      expect(v.stdout + v.stderr).toContain('certificate revoked');
    } finally {
      await c.cleanup();
    }
  });
});

describe('concurrent writers', () => {
  it('lose no revocation or issuance when operations race, across handles', async () => {
    const c = await makeTestPki();
    try {
      const certs = await Promise.all(['a', 'b', 'c', 'd'].map((name) => c.pki.issueClient({ kind: 'svc', name })));
      const second = await openPki(c.dir);
      await Promise.all(certs.map((cert, i) => (i % 2 === 0 ? c.pki : second).revoke(cert.serial)));
      expect(await readRevokedSerials(c.dir)).toEqual(new Set(certs.map((cert) => cert.serial)));
      expect(await c.pki.list()).toHaveLength(4);
    } finally {
      await c.cleanup();
    }
  });

  it('take over a lock left behind by a process that died', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(t.dir, '.lock'), String(dead));
    const { record } = await t.pki.revoke(issued.serial, 'superseded');
    expect(record.reason).toBe('superseded');
    await expect(readFile(join(t.dir, '.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
