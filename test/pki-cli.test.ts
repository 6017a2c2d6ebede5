// The `portcullis pki` / `certs` commands, run as a real child process the way an operator runs them.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFamily, type FamilyRun } from './helpers/cli.js';
import { openssl } from './helpers/pki.js';


type Run = FamilyRun;

let root: string;
let dir: string;

const portcullis = commandFamily('pki.ts', 'registerPkiCommands', () => root);

function expectError(run: Run, code: string): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^error ${code}: \\S`));
  expect(run.stdout).toBe('');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
  dir = join(root, 'pki');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('portcullis pki init', () => {
  it('creates the CA, then refuses to replace it without --force', async () => {
    const first = await portcullis('pki', 'init', '--dir', dir, '--trust-domain', 'cli.test');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('cli.test');
    expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    const ca = await readFile(join(dir, 'ca.crt'), 'utf8');

    expectError(await portcullis('pki', 'init', '--dir', dir), 'PCL_PKI_EXISTS');
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(ca);
  });
});

describe('portcullis certs', () => {
  let serverSerial: string;
  let clientSerial: string;

  it('issue writes a server certificate and a 0600 key, and prints the serial but never the key', async () => {
    const prefix = join(root, 'gateway');
    const run = await portcullis('certs', 'issue', '--kind', 'server', '--name', 'gateway', '--dns', 'localhost,gw.internal', '--ip', '127.0.0.1', '--ip', '::1', '--days', '30', '--out', prefix, '--dir', dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    serverSerial = /^serial\s+([0-9A-F]+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(serverSerial).not.toBe('');
    expect(run.stdout).toMatch(/^identity\s+gateway$/m);
    const key = await readFile(`${prefix}.key`, 'utf8');
    expect(run.stdout).not.toContain('PRIVATE KEY');
    expect(run.stdout).not.toContain(key.split('\n')[1]);
    expect((await stat(`${prefix}.key`)).mode & 0o777).toBe(0o600);
    expect(openssl(['verify', '-CAfile', join(dir, 'ca.crt'), `${prefix}.crt`]).status).toBe(0);
    expect(openssl(['x509', '-in', `${prefix}.crt`, '-noout', '-ext', 'subjectAltName']).stdout).toContain('DNS:localhost, DNS:gw.internal, IP Address:127.0.0.1');
  });

  it('issue writes a client certificate to ./<name> by default, with its spiffe identity', async () => {
    const run = await portcullis('certs', 'issue', '--kind', 'svc', '--name', 'billing', '--dir', dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^identity\s+spiffe:\/\/cli\.test\/svc\/billing$/m);
    clientSerial = /^serial\s+([0-9A-F]+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(openssl(['verify', '-CAfile', join(dir, 'ca.crt'), join(root, 'billing.crt')]).status).toBe(0);
  });

  it('issue refuses to overwrite existing files, before issuing anything', async () => {
    const before = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { certs: unknown[] };
    expectError(await portcullis('certs', 'issue', '--kind', 'svc', '--name', 'billing', '--dir', dir), 'PCL_PKI_OUT_EXISTS');
    const after = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { certs: unknown[] };
    expect(after.certs).toHaveLength(before.certs.length);
  });

  it('issue refuses bad names, kinds, days and SANs on client certificates with a code', async () => {
    const [name, kind, days, sans] = await Promise.all([
      portcullis('certs', 'issue', '--kind', 'svc', '--name', '../admin', '--dir', dir),
      portcullis('certs', 'issue', '--kind', 'root', '--name', 'x', '--dir', dir),
      portcullis('certs', 'issue', '--kind', 'svc', '--name', 'x', '--days', '1e2', '--dir', dir),
      portcullis('certs', 'issue', '--kind', 'svc', '--name', 'x', '--dns', 'x.internal', '--dir', dir),
    ]);
    expectError(name, 'PCL_PKI_BAD_NAME');
    expectError(kind, 'PCL_PKI_BAD_KIND');
    expectError(days, 'PCL_PKI_BAD_DAYS');
    expectError(sans, 'PCL_PKI_BAD_KIND');
  });

  it('revoke marks the certificate revoked; list shows it as a table and as JSON', async () => {
    const revoked = await portcullis('certs', 'revoke', clientSerial.toLowerCase(), '--reason', 'keyCompromise', '--dir', dir);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${clientSerial}`);

    const table = await portcullis('certs', 'list', '--dir', dir);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SERIAL\s+KIND\s+IDENTITY\s+NOT AFTER\s+STATUS$/);
    expect(lines.find((l) => l.startsWith(clientSerial))).toMatch(/\ssvc\s+spiffe:\/\/cli\.test\/svc\/billing\s.*\srevoked$/);
    expect(lines.find((l) => l.startsWith(serverSerial))).toMatch(/\sserver\s+gateway\s.*\svalid$/);

    const json = JSON.parse((await portcullis('certs', 'list', '--json', '--dir', dir)).stdout) as Array<{ serial: string; status: string; reason?: string }>;
    expect(json.find((c) => c.serial === clientSerial)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
  });

  it('revoke refuses a malformed serial and an unknown one', async () => {
    expectError(await portcullis('certs', 'revoke', 'not-hex', '--dir', dir), 'PCL_PKI_BAD_SERIAL');
    expectError(await portcullis('certs', 'revoke', 'ABCDEF', '--dir', dir), 'PCL_PKI_UNKNOWN_SERIAL');
  });

  it('crl writes a CRL that makes openssl reject the revoked certificate, and prints one to stdout', async () => {
    const crlFile = join(root, 'crl.pem');
    const written = await portcullis('certs', 'crl', '--dir', dir, '--out', crlFile);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain('CRL number 1');
    const v = openssl(['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', join(dir, 'ca.crt'), join(root, 'billing.crt')]);
    expect(v.stdout + v.stderr).toContain('certificate revoked');
    expect(openssl(['verify', '-crl_check', '-CRLfile', crlFile, '-CAfile', join(dir, 'ca.crt'), join(root, 'gateway.crt')]).status).toBe(0);

    const printed = await portcullis('certs', 'crl', '--dir', dir);
    expect(printed.stdout).toMatch(/^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
    expect(openssl(['crl', '-noout', '-crlnumber'], { input: printed.stdout }).stdout).toContain('crlNumber=0x02');
  });

  it('reports a corrupt index.json with its code and leaves it as it was', async () => {
    const indexFile = join(dir, 'index.json');
    const good = await readFile(indexFile, 'utf8');
    await writeFile(indexFile, good.slice(0, 50));
    try {
      expectError(await portcullis('certs', 'list', '--dir', dir), 'PCL_PKI_INDEX_CORRUPT');
      expectError(await portcullis('certs', 'revoke', serverSerial, '--dir', dir), 'PCL_PKI_INDEX_CORRUPT');
      expect(await readFile(indexFile, 'utf8')).toBe(good.slice(0, 50));
    } finally {
      await writeFile(indexFile, good);
    }
  });
});
