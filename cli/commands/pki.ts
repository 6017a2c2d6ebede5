// `portcullis pki init` and `portcullis certs issue|list|revoke|crl`: offline PKI administration on a
// local PKI directory. Private keys are only ever written to files (mode 0600), never printed.
import { randomBytes } from 'node:crypto';
import { access, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { guarded, out } from '../report.js';
import {
  PkiError,
  initPki,
  openPki,
  writeIssuedFiles,
  type IssueKind,
  type IssuedCert,
  type ListedCert,
  type RevocationReason,
} from '../../pki/index.js';

const DEFAULT_DIR = '.portcullis/pki';
const DEFAULT_TRUST_DOMAIN = 'portcullis.local';

interface DirOpts {
  dir: string;
}


/** "a,b" and repeated flags both accumulate; empty items are kept so validation can refuse them. */
function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',')];
}

/** Commander hands us strings; "1e2" or " 30" must not pass for a number of days. */
function wholeNumber(value: string | undefined, code: 'PCL_PKI_BAD_DAYS'): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(value)) throw new PkiError(code, `Got ${JSON.stringify(value.slice(0, 40))}`);
  return Number(value);
}

/** What an operator calls the kind: server, or the SPIFFE path segment (svc, user, kms) of a client. */
function displayKind(cert: ListedCert): string {
  if (cert.kind === 'server') return 'server';
  const match = /^spiffe:\/\/[^/]+\/([^/]+)\//.exec(cert.identity);
  return match?.[1] ?? 'client';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ')).join('\n');
}

async function writeFileReplacing(path: string, data: string): Promise<void> {
  // A CRL file may be served by a web server while we replace it, so readers must never see half of it.
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode: 0o644, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function refuseExisting(paths: string[]): Promise<void> {
  for (const path of paths) {
    const found = await access(path).then(
      () => true,
      () => false,
    );
    if (found) throw new PkiError('PCL_PKI_OUT_EXISTS', `Found ${JSON.stringify(path)}`);
  }
}

function registerInit(program: Command): void {
  const pki = program.command('pki').description('Manage the certificate authority');
  pki
    .command('init')
    .description('Create a CA (ca.crt, ca.key, index.json, crlnumber) in the PKI directory')
    .option('--dir <dir>', 'PKI directory', DEFAULT_DIR)
    .option('--trust-domain <domain>', 'SPIFFE trust domain for client identities', DEFAULT_TRUST_DOMAIN)
    .option('--common-name <cn>', 'CA subject common name')
    .option('--force', 'archive an existing CA under <dir>/archive/ and create a new one', false)
    .action(
      guarded(async (opts: DirOpts & { trustDomain: string; commonName?: string; force: boolean }) => {
        const { pki: created, archivedTo } = await initPki(opts.dir, {
          trustDomain: opts.trustDomain,
          force: opts.force,
          ...(opts.commonName === undefined ? {} : { commonName: opts.commonName }),
        });
        if (archivedTo !== undefined) out(`archived the previous CA to ${archivedTo}`);
        out(`created CA for trust domain ${created.trustDomain}`);
        out(`ca certificate ${join(opts.dir, 'ca.crt')}`);
        out(`ca key         ${join(opts.dir, 'ca.key')} (mode 0600; back it up, keep it offline if you can)`);
      }),
    );
}

function registerIssue(certs: Command): void {
  certs
    .command('issue')
    .description('Issue a server certificate or a client certificate with a spiffe:// identity')
    .requiredOption('--kind <kind>', 'server | svc | user | kms')
    .requiredOption('--name <name>', 'CN, and the last segment of the spiffe:// identity for clients')
    .option('--dns <names>', 'DNS SANs for server certificates (comma-separated, repeatable)', collectList)
    .option('--ip <addresses>', 'IP SANs for server certificates (comma-separated, repeatable)', collectList)
    .option('--days <n>', 'validity in days (default 90)')
    .option('--out <prefix>', 'write <prefix>.crt and <prefix>.key (default: ./<name>)')
    .option('--overwrite', 'replace existing <prefix>.crt / <prefix>.key', false)
    .option('--dir <dir>', 'PKI directory', DEFAULT_DIR)
    .action(
      guarded(async (opts: DirOpts & { kind: string; name: string; dns?: string[]; ip?: string[]; days?: string; out?: string; overwrite: boolean }) => {
        const kind = opts.kind as IssueKind;
        const days = wholeNumber(opts.days, 'PCL_PKI_BAD_DAYS');
        const prefix = opts.out ?? `./${opts.name}`;
        // Checked before issuing, so a refusal does not leave a recorded certificate whose key nobody has.
        if (!opts.overwrite) await refuseExisting([`${prefix}.crt`, `${prefix}.key`]);
        const pki = await openPki(opts.dir);
        let issued: IssuedCert;
        if (kind === 'server') {
          issued = await pki.issueServer({ name: opts.name, dnsNames: opts.dns ?? [], ipAddresses: opts.ip ?? [], ...(days === undefined ? {} : { days }) });
        } else {
          // Silently dropping SANs the operator asked for would hand out a certificate they did not mean.
          const sansGiven = opts.dns !== undefined || opts.ip !== undefined;
          if (sansGiven && (kind === 'svc' || kind === 'user' || kind === 'kms')) throw new PkiError('PCL_PKI_BAD_KIND', '--dns and --ip apply only to --kind server');
          issued = await pki.issueClient({ kind, name: opts.name, ...(days === undefined ? {} : { days }) });
        }
        const files = await writeIssuedFiles(prefix, issued, { overwrite: opts.overwrite });
        out(`serial    ${issued.serial}`);
        out(`identity  ${issued.identity}`);
        out(`sans      ${issued.record.sans.join(', ')}`);
        out(`not after ${issued.record.notAfter}`);
        out(`cert      ${files.certPath}`);
        out(`key       ${files.keyPath} (mode 0600)`);
      }),
    );
}

function registerList(certs: Command): void {
  certs
    .command('list')
    .description('List issued certificates with their status (valid, expired, revoked)')
    .option('--json', 'print JSON instead of a table', false)
    .option('--dir <dir>', 'PKI directory', DEFAULT_DIR)
    .action(
      guarded(async (opts: DirOpts & { json: boolean }) => {
        const pki = await openPki(opts.dir);
        const listed = await pki.list();
        if (opts.json) {
          out(JSON.stringify(listed, null, 2));
          return;
        }
        const rows = listed.map((c) => [c.serial, displayKind(c), c.identity, c.notAfter, c.status]);
        out(table([['SERIAL', 'KIND', 'IDENTITY', 'NOT AFTER', 'STATUS'], ...rows]));
      }),
    );
}

function registerRevoke(certs: Command): void {
  certs
    .command('revoke')
    .description('Revoke a certificate by serial number')
    .argument('<serial>', 'serial number as printed by `certs list`')
    .option('--reason <reason>', 'keyCompromise | cACompromise | affiliationChanged | superseded | cessationOfOperation | privilegeWithdrawn | unspecified')
    .option('--dir <dir>', 'PKI directory', DEFAULT_DIR)
    .action(
      guarded(async (serial: string, opts: DirOpts & { reason?: string }) => {
        const pki = await openPki(opts.dir);
        const { record, alreadyRevoked } = await pki.revoke(serial, opts.reason as RevocationReason | undefined);
        out(`${alreadyRevoked ? 'already revoked' : 'revoked'} ${record.serial} (${record.identity}) at ${record.revokedAt ?? ''}${record.reason === undefined ? '' : `, reason ${record.reason}`}`);
        if (!alreadyRevoked) out('gateways reading this directory refuse it within seconds; publish a new CRL with `portcullis certs crl` for other verifiers');
      }),
    );
}

function registerCrl(certs: Command): void {
  certs
    .command('crl')
    .description('Sign and print (or write) a new X.509 CRL of all revoked certificates')
    .option('--out <file>', 'write the PEM CRL to this file instead of stdout')
    .option('--next-update-days <n>', 'days until verifiers should expect the next CRL (default 7)')
    .option('--dir <dir>', 'PKI directory', DEFAULT_DIR)
    .action(
      guarded(async (opts: DirOpts & { out?: string; nextUpdateDays?: string }) => {
        const days = wholeNumber(opts.nextUpdateDays, 'PCL_PKI_BAD_DAYS');
        const pki = await openPki(opts.dir);
        const crl = await pki.crl(days === undefined ? {} : { nextUpdateDays: days });
        if (opts.out === undefined) {
          process.stdout.write(crl.pem);
          return;
        }
        await writeFileReplacing(opts.out, crl.pem);
        out(`wrote ${opts.out}: CRL number ${crl.number}, ${crl.revokedCount} revoked, next update ${crl.nextUpdate.toISOString()}`);
      }),
    );
}

/**
 * Adds `pki init` and `certs issue|list|revoke|crl` to the `portcullis` program. Errors are printed as
 * `error <CODE>: <message>` with exit code 1.
 *
 * @example
 * const program = new Command('portcullis');
 * registerPkiCommands(program);
 * await program.parseAsync(process.argv);
 */
export function registerPkiCommands(program: Command): void {
  registerInit(program);
  const certs = program.command('certs').description('Issue, list and revoke certificates');
  registerIssue(certs);
  registerList(certs);
  registerRevoke(certs);
  registerCrl(certs);
}
