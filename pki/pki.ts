// The CA and its issuing operations over a PKI directory. Every operation that changes the directory
// runs under its lock and re-reads the state from disk, so a handle is safe to keep open while other
// processes (another CLI run) issue or revoke.
import { X509Certificate, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createCaCertificate, createLeafCertificate, generateRsaKeyPair, loadCa, sanLabel, type CaMaterial, type LoadedCa, type SubjectAltName } from './certificates.js';
import { buildCrl, crlToPem } from './crl.js';
import { PkiError, quote } from './errors.js';
import { FILES, ensureDir, exists, moveFile, readTextIfExists, withDirLock, writeFileAtomic } from './files.js';
import { normalizeSerial, randomSerial } from './serial.js';
import { readCrlNumber, readIndex, writeCrlNumber, writeIndex, type IssuedCertRecord, type PkiIndex } from './state.js';
import {
  MAX_SANS,
  parseCommonName,
  parseDays,
  parseDnsName,
  parseIp,
  parseKind,
  parseName,
  parseReason,
  parseTrustDomain,
  type ClientKind,
  type RevocationReason,
} from './validate.js';

/** Certificates start 5 minutes in the past so a peer whose clock runs slightly behind still accepts them. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_LEAF_DAYS = 90;
const CA_YEARS = 10;
const DEFAULT_CRL_DAYS = 7;

/** Options for `initPki`. */
export interface InitPkiOptions {
  trustDomain: string;
  /** CA subject CN; defaults to "Portcullis CA (<trustDomain>)". */
  commonName?: string;
  /** Replace an existing CA. The old files are moved to archive/<time>/, never deleted. */
  force?: boolean;
}

/** Options for `Pki.issueServer`. At least one DNS name or IP address is required. */
export interface IssueServerOptions {
  /** CN; `[A-Za-z0-9._-]{1,64}`. */
  name: string;
  /** RFC 1123 host names; stored lowercase. No wildcards. */
  dnsNames?: string[];
  /** IPv4 or IPv6 addresses. */
  ipAddresses?: string[];
  /** Validity in whole days, 1 to 3650; default 90. */
  days?: number;
}

/** Options for `Pki.issueClient`. */
export interface IssueClientOptions {
  /** The SPIFFE path segment: svc (services), user (people), kms (KMS nodes). */
  kind: ClientKind;
  /** CN and last path segment; `[A-Za-z0-9._-]{1,64}`, not "." or "..". */
  name: string;
  /** Validity in whole days, 1 to 3650; default 90. */
  days?: number;
}

/** A freshly issued certificate. `keyPem` is the only copy of the private key: it is not stored. */
export interface IssuedCert {
  serial: string;
  identity: string;
  certPem: string;
  keyPem: string;
  /** The leaf followed by the CA certificate. */
  chainPem: string;
  record: IssuedCertRecord;
}

export type CertStatus = 'valid' | 'expired' | 'revoked';

/** An index record plus its status at the time of listing. */
export interface ListedCert extends IssuedCertRecord {
  status: CertStatus;
}

/** What `Pki.revoke` did. */
export interface RevokeResult {
  record: IssuedCertRecord;
  /** True when the serial was already revoked; the original date and reason are kept. */
  alreadyRevoked: boolean;
}

/** A signed CRL and the facts an operator wants printed about it. */
export interface IssuedCrl {
  pem: string;
  number: bigint;
  revokedCount: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * A record's status at `now`. Revoked wins over expired: an operator asking "is this one dead, and
 * why" wants the stronger answer.
 *
 * @example
 * certStatus(record); // 'valid' | 'expired' | 'revoked'
 */
export function certStatus(record: IssuedCertRecord, now: Date = new Date()): CertStatus {
  if (record.revokedAt !== undefined) return 'revoked';
  return Date.parse(record.notAfter) <= now.getTime() ? 'expired' : 'valid';
}

/** X.509 times have whole seconds; rounding first keeps index.json identical to what was signed. */
function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

async function readCaMaterial(dir: string): Promise<CaMaterial> {
  const certPem = await readTextIfExists(join(dir, FILES.caCert));
  const keyPem = await readTextIfExists(join(dir, FILES.caKey));
  if (certPem === undefined || keyPem === undefined) {
    throw new PkiError('PCL_PKI_NOT_FOUND', `Missing ${quote(join(dir, certPem === undefined ? FILES.caCert : FILES.caKey))}`);
  }
  return { certPem, keyPem };
}

/**
 * Creates a CA in `dir` (made if missing, mode 0700): ca.crt, ca.key (0600), an empty index.json
 * and crlnumber. Refuses with PCL_PKI_EXISTS when any of them is already there, unless `force`.
 *
 * @example
 * const { pki } = await initPki('.portcullis/pki', { trustDomain: 'portcullis.local' });
 * await writeFile('ca.crt', pki.ca);
 */
export async function initPki(dir: string, opts: InitPkiOptions): Promise<{ pki: Pki; archivedTo?: string }> {
  const trustDomain = parseTrustDomain(opts.trustDomain);
  const commonName = parseCommonName(opts.commonName ?? `Portcullis CA (${trustDomain})`);
  await ensureDir(dir);
  return withDirLock(dir, async () => {
    const stateFiles = [FILES.caCert, FILES.caKey, FILES.index, FILES.crlNumber];
    const present: string[] = [];
    for (const f of stateFiles) if (await exists(join(dir, f))) present.push(f);
    let archivedTo: string | undefined;
    if (present.length > 0) {
      if (opts.force !== true) throw new PkiError('PCL_PKI_EXISTS', `Found ${present.join(', ')} in ${quote(dir)}`);
      archivedTo = join(dir, FILES.archive, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`);
      await ensureDir(archivedTo);
      for (const f of present) await moveFile(join(dir, f), join(archivedTo, f));
    }
    const keyPair = generateRsaKeyPair();
    const now = Date.now();
    const notAfter = wholeSeconds(now);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
    const caPem = createCaCertificate({ commonName, keyPair, serial: randomSerial(), notBefore: wholeSeconds(now - CLOCK_SKEW_MS), notAfter });
    await writeFileAtomic(join(dir, FILES.caKey), keyPair.privateKeyPem, { mode: 0o600, exclusive: true });
    await writeFileAtomic(join(dir, FILES.caCert), caPem, { exclusive: true });
    await writeCrlNumber(dir, 0n);
    // index.json last: its presence is what makes the directory usable, so a crash before it leaves
    // nothing that openPki would accept.
    await writeIndex(dir, { version: 1, trustDomain, certs: [] });
    const result: { pki: Pki; archivedTo?: string } = { pki: new Pki(dir, trustDomain, caPem) };
    if (archivedTo !== undefined) result.archivedTo = archivedTo;
    return result;
  });
}

/**
 * Opens an existing PKI directory. Throws PCL_PKI_NOT_FOUND, PCL_PKI_INDEX_CORRUPT or
 * PCL_PKI_CA_INVALID rather than returning a handle that would fail later.
 *
 * @example
 * const pki = await openPki('.portcullis/pki');
 * const { certPem, keyPem, chainPem } = await pki.issueServer({ name: 'gw', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
 */
export async function openPki(dir: string): Promise<Pki> {
  const index = await readIndex(dir);
  const material = await readCaMaterial(dir);
  loadCa(material);
  return new Pki(dir, index.trustDomain, material.certPem);
}

/**
 * A handle on a PKI directory; obtain one with `openPki` or `initPki`. It holds no key material:
 * the CA key is read from disk for each signing operation.
 *
 * @example
 * const pki = await openPki(dir);
 * const svc = await pki.issueClient({ kind: 'svc', name: 'billing' });
 * await pki.revoke(svc.serial, 'superseded');
 * const crl = await pki.crlPem();
 */
export class Pki {
  /** @internal Use openPki/initPki. */
  constructor(
    readonly dir: string,
    readonly trustDomain: string,
    /** The CA certificate, PEM: what peers put in their trust store. */
    readonly ca: string,
  ) {}

  /**
   * Issues a TLS server certificate (EKU serverAuth) with CN = name and the given DNS/IP SANs.
   *
   * @example
   * const { serial, certPem, keyPem } = await pki.issueServer({ name: 'gateway', dnsNames: ['gw.internal'], ipAddresses: ['10.0.0.5'], days: 30 });
   */
  async issueServer(opts: IssueServerOptions): Promise<IssuedCert> {
    const name = parseName(opts.name);
    const days = parseDays(opts.days ?? DEFAULT_LEAF_DAYS);
    const dns = [...new Set((opts.dnsNames ?? []).map(parseDnsName))];
    const ips = new Map((opts.ipAddresses ?? []).map(parseIp).map((ip) => [ip.text, ip]));
    const sans: SubjectAltName[] = [...dns.map((value) => ({ type: 'dns' as const, value })), ...[...ips.values()].map((ip) => ({ type: 'ip' as const, ...ip }))];
    if (sans.length === 0) throw new PkiError('PCL_PKI_NO_SANS');
    if (sans.length > MAX_SANS) throw new PkiError('PCL_PKI_TOO_MANY_SANS', `Got ${sans.length}`);
    return this.issue({ kind: 'server', name, days, usage: 'serverAuth', identity: () => name, sans: () => sans });
  }

  /**
   * Issues a client certificate (EKU clientAuth) whose identity is the URI SAN
   * `spiffe://<trustDomain>/<kind>/<name>`; CN = name.
   *
   * @example
   * const { identity } = await pki.issueClient({ kind: 'svc', name: 'billing' });
   * // identity === 'spiffe://portcullis.local/svc/billing'
   */
  async issueClient(opts: IssueClientOptions): Promise<IssuedCert> {
    const kind = parseKind(opts.kind);
    if (kind === 'server') throw new PkiError('PCL_PKI_BAD_KIND', 'Use issueServer for server certificates');
    const name = parseName(opts.name);
    const days = parseDays(opts.days ?? DEFAULT_LEAF_DAYS);
    const identity = (index: PkiIndex): string => `spiffe://${index.trustDomain}/${kind}/${name}`;
    return this.issue({ kind: 'client', name, days, usage: 'clientAuth', identity, sans: (index) => [{ type: 'uri', value: identity(index) }] });
  }

  private async issue(spec: {
    kind: 'server' | 'client';
    name: string;
    days: number;
    usage: 'serverAuth' | 'clientAuth';
    identity: (index: PkiIndex) => string;
    sans: (index: PkiIndex) => SubjectAltName[];
  }): Promise<IssuedCert> {
    return withDirLock(this.dir, async () => {
      const { index, ca } = await this.readForSigning();
      const now = Date.now();
      const notBefore = wholeSeconds(now - CLOCK_SKEW_MS);
      const notAfter = wholeSeconds(now + spec.days * DAY_MS);
      if (notAfter > ca.loaded.notAfter) {
        throw new PkiError('PCL_PKI_CA_EXPIRES_FIRST', `The CA expires ${ca.loaded.notAfter.toISOString()}`);
      }
      const issued = new Set(index.certs.map((c) => c.serial));
      let serial = randomSerial();
      while (issued.has(serial)) serial = randomSerial();
      const keyPair = generateRsaKeyPair();
      const sans = spec.sans(index);
      const certPem = createLeafCertificate({
        ca: ca.loaded,
        publicKeyPem: keyPair.publicKeyPem,
        commonName: spec.name,
        sans,
        usage: spec.usage,
        serial,
        notBefore,
        notAfter,
      });
      const record: IssuedCertRecord = {
        serial,
        kind: spec.kind,
        name: spec.name,
        identity: spec.identity(index),
        sans: sans.map(sanLabel),
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        fingerprint256: new X509Certificate(certPem).fingerprint256,
      };
      // Recorded before the key is handed out: every certificate that exists can be listed and revoked.
      await writeIndex(this.dir, { ...index, certs: [...index.certs, record] });
      return { serial, identity: record.identity, certPem, keyPem: keyPair.privateKeyPem, chainPem: certPem + this.ca, record };
    });
  }

  /**
   * Marks a certificate revoked in index.json. Unknown serials are refused (PCL_PKI_UNKNOWN_SERIAL)
   * so a typo cannot look like a successful revocation. Revoking twice is harmless.
   *
   * @example
   * await pki.revoke('5F0C9A…', 'keyCompromise');
   */
  async revoke(serial: string, reason?: RevocationReason): Promise<RevokeResult> {
    const wanted = normalizeSerial(serial);
    const parsedReason = parseReason(reason);
    return withDirLock(this.dir, async () => {
      const index = await readIndex(this.dir);
      const at = index.certs.findIndex((c) => c.serial === wanted);
      const existing = index.certs[at];
      if (existing === undefined) throw new PkiError('PCL_PKI_UNKNOWN_SERIAL', `Got ${wanted}`);
      if (existing.revokedAt !== undefined) return { record: existing, alreadyRevoked: true };
      const record: IssuedCertRecord = { ...existing, revokedAt: wholeSeconds(Date.now()).toISOString() };
      if (parsedReason !== undefined) record.reason = parsedReason;
      const certs = [...index.certs];
      certs[at] = record;
      await writeIndex(this.dir, { ...index, certs });
      return { record, alreadyRevoked: false };
    });
  }

  /**
   * Every certificate this CA issued, oldest first, with its current status.
   *
   * @example
   * for (const c of await pki.list()) console.log(c.serial, c.identity, c.status);
   */
  async list(now: Date = new Date()): Promise<ListedCert[]> {
    const index = await readIndex(this.dir);
    return index.certs.map((c) => ({ ...c, status: certStatus(c, now) }));
  }

  /**
   * Signs a new X.509 v2 CRL of every revoked serial, with the next CRL number (persisted before the
   * CRL is returned, so numbers only ever increase).
   *
   * @example
   * const { pem, number } = await pki.crl({ nextUpdateDays: 7 });
   */
  async crl(opts: { nextUpdateDays?: number } = {}): Promise<IssuedCrl> {
    const days = parseDays(opts.nextUpdateDays ?? DEFAULT_CRL_DAYS, 365);
    return withDirLock(this.dir, async () => {
      const { index, ca } = await this.readForSigning();
      const number = (await readCrlNumber(this.dir)) + 1n;
      const now = Date.now();
      // Backdated like certificates: a verifier with a slow clock rejects a CRL from "the future".
      const thisUpdate = wholeSeconds(now - CLOCK_SKEW_MS);
      const nextUpdate = wholeSeconds(now + days * DAY_MS);
      const entries = index.certs
        .filter((c) => c.revokedAt !== undefined)
        .map((c) => ({ serial: c.serial, revokedAt: new Date(c.revokedAt as string), ...(c.reason === undefined ? {} : { reason: c.reason }) }));
      const der = buildCrl({ ca: ca.loaded, caKeyPem: ca.material.keyPem, entries, crlNumber: number, thisUpdate, nextUpdate });
      await writeCrlNumber(this.dir, number);
      return { pem: crlToPem(der), number, revokedCount: entries.length, thisUpdate, nextUpdate };
    });
  }

  /**
   * The PEM of a freshly signed CRL; shorthand for `(await pki.crl(opts)).pem`.
   *
   * @example
   * await writeFile('crl.pem', await pki.crlPem());
   */
  async crlPem(opts: { nextUpdateDays?: number } = {}): Promise<string> {
    return (await this.crl(opts)).pem;
  }

  private async readForSigning(): Promise<{ index: PkiIndex; ca: { material: CaMaterial; loaded: LoadedCa } }> {
    const index = await readIndex(this.dir);
    const material = await readCaMaterial(this.dir);
    if (material.certPem !== this.ca) {
      throw new PkiError('PCL_PKI_CA_INVALID', '(the CA was replaced after this handle was opened; open the PKI again)');
    }
    return { index, ca: { material, loaded: loadCa(material) } };
  }
}
