// The on-disk state of a PKI directory besides the CA: index.json (every issued certificate and its
// revocation) and crlnumber. Both are parsed strictly: a damaged index must stop the caller, because
// treating it as empty would silently un-revoke every revoked certificate.
import { join } from 'node:path';
import { PkiError, quote } from './errors.js';
import { FILES, readTextIfExists, writeFileAtomic } from './files.js';
import { normalizeSerial } from './serial.js';
import { REVOCATION_REASONS, parseTrustDomain, type RevocationReason } from './validate.js';

export type CertKind = 'server' | 'client';

/** One issued certificate as recorded in index.json. Dates are ISO 8601 UTC strings. */
export interface IssuedCertRecord {
  /** Normalized serial (see normalizeSerial). */
  serial: string;
  kind: CertKind;
  name: string;
  /** The spiffe:// URI for client certificates, the CN for server certificates. */
  identity: string;
  /** "DNS:…", "IP:…", "URI:…" */
  sans: string[];
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprint in Node's "AB:CD:…" form, as tls.PeerCertificate.fingerprint256 prints it. */
  fingerprint256: string;
  revokedAt?: string;
  reason?: RevocationReason;
}

export interface PkiIndex {
  version: 1;
  trustDomain: string;
  certs: IssuedCertRecord[];
}

function corrupt(path: string, why: string): PkiError {
  return new PkiError('PCL_PKI_INDEX_CORRUPT', `${quote(path)}: ${why}`);
}

function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function parseRecord(raw: unknown, path: string, at: number): IssuedCertRecord {
  const where = `certs[${at}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt(path, `${where} is not an object`);
  const r = raw as Record<string, unknown>;
  let serial: string;
  try {
    serial = normalizeSerial(r.serial as string);
  } catch {
    throw corrupt(path, `${where}.serial is not a hex serial`);
  }
  if (serial !== r.serial) throw corrupt(path, `${where}.serial is not normalized`);
  if (r.kind !== 'server' && r.kind !== 'client') throw corrupt(path, `${where}.kind is not "server" or "client"`);
  for (const key of ['name', 'identity', 'fingerprint256'] as const) {
    if (typeof r[key] !== 'string') throw corrupt(path, `${where}.${key} is not a string`);
  }
  if (!isStringArray(r.sans)) throw corrupt(path, `${where}.sans is not a list of strings`);
  if (!isIsoDate(r.notBefore) || !isIsoDate(r.notAfter)) throw corrupt(path, `${where} has an invalid notBefore/notAfter`);
  if (r.revokedAt !== undefined && !isIsoDate(r.revokedAt)) throw corrupt(path, `${where}.revokedAt is not a date`);
  if (r.reason !== undefined && (typeof r.reason !== 'string' || !Object.hasOwn(REVOCATION_REASONS, r.reason))) {
    throw corrupt(path, `${where}.reason is not a known reason`);
  }
  const record: IssuedCertRecord = {
    serial,
    kind: r.kind,
    name: r.name as string,
    identity: r.identity as string,
    sans: r.sans,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    fingerprint256: r.fingerprint256 as string,
  };
  if (r.revokedAt !== undefined) record.revokedAt = r.revokedAt;
  if (r.reason !== undefined) record.reason = r.reason as RevocationReason;
  return record;
}

/** Strict parse of index.json text. Any deviation is PCL_PKI_INDEX_CORRUPT; nothing is repaired. */
export function parseIndex(text: string, path: string): PkiIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt(path, 'not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw corrupt(path, 'not a JSON object');
  const r = raw as Record<string, unknown>;
  if (r.version !== 1) throw corrupt(path, `unsupported version ${quote(r.version)}`);
  let trustDomain: string;
  try {
    trustDomain = parseTrustDomain(r.trustDomain);
  } catch {
    throw corrupt(path, 'trustDomain is invalid');
  }
  if (!Array.isArray(r.certs)) throw corrupt(path, 'certs is not a list');
  const certs = r.certs.map((c, i) => parseRecord(c, path, i));
  const seen = new Set<string>();
  for (const c of certs) {
    if (seen.has(c.serial)) throw corrupt(path, `serial ${c.serial} appears twice`);
    seen.add(c.serial);
  }
  return { version: 1, trustDomain, certs };
}

export function indexPath(dir: string): string {
  return join(dir, FILES.index);
}

/** The index of a PKI directory. Missing is PCL_PKI_NOT_FOUND, damaged is PCL_PKI_INDEX_CORRUPT. */
export async function readIndex(dir: string): Promise<PkiIndex> {
  const path = indexPath(dir);
  const text = await readTextIfExists(path);
  if (text === undefined) throw new PkiError('PCL_PKI_NOT_FOUND', `Missing ${quote(path)}`);
  return parseIndex(text, path);
}

export async function writeIndex(dir: string, index: PkiIndex): Promise<void> {
  await writeFileAtomic(indexPath(dir), `${JSON.stringify(index, null, 2)}\n`, { mode: 0o644 });
}

/**
 * The last CRL number issued (0 before the first CRL). A missing file is an error rather than 0:
 * restarting the sequence would let an old CRL look newer than the current one.
 */
export async function readCrlNumber(dir: string): Promise<bigint> {
  const path = join(dir, FILES.crlNumber);
  const text = await readTextIfExists(path);
  const trimmed = text?.trim();
  if (trimmed === undefined || !/^[0-9]{1,30}$/.test(trimmed)) {
    throw new PkiError('PCL_PKI_CRLNUMBER_CORRUPT', `${quote(path)} ${text === undefined ? 'is missing' : 'is not a decimal number'}`);
  }
  return BigInt(trimmed);
}

export async function writeCrlNumber(dir: string, value: bigint): Promise<void> {
  await writeFileAtomic(join(dir, FILES.crlNumber), `${value.toString(10)}\n`, { mode: 0o644 });
}
