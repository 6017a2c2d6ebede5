// The revocation list as the gateway consumes it: a set of normalized serials, re-read only when
// index.json was replaced. Every failure keeps the last good list; nothing here ever "un-revokes".
import { stat } from 'node:fs/promises';
import { PkiError, quote } from './errors.js';
import { normalizeSerial } from './serial.js';
import { indexPath, readIndex } from './state.js';

/**
 * Decides whether a presented serial is revoked. An unparseable serial counts as revoked: a verified
 * certificate always has a hex serial, so anything else is a bug we should fail closed on.
 *
 * @example
 * if (isCertRevoked(peer.serialNumber, revoked)) reject();
 */
export function isCertRevoked(serial: string, revoked: ReadonlySet<string>): boolean {
  let normalized: string;
  try {
    normalized = normalizeSerial(serial);
  } catch {
    return true;
  }
  return revoked.has(normalized);
}

/**
 * The normalized serials of every revoked certificate in the PKI directory. Throws
 * PCL_PKI_NOT_FOUND or PCL_PKI_INDEX_CORRUPT instead of returning an empty set.
 *
 * @example
 * const revoked = await readRevokedSerials('.portcullis/pki');
 * revoked.has(normalizeSerial(peer.serialNumber));
 */
export async function readRevokedSerials(dir: string): Promise<Set<string>> {
  const index = await readIndex(dir);
  return new Set(index.certs.filter((c) => c.revokedAt !== undefined).map((c) => c.serial));
}

/**
 * An in-memory revocation list kept in step with a PKI directory. `refresh()` costs one stat() when
 * nothing changed, so it can be polled every second. Writes replace index.json by rename, so a new
 * inode, size or mtime is a reliable "changed" signal.
 *
 * @example
 * const revocations = new RevocationSource('.portcullis/pki');
 * await revocations.refresh(); // before accepting mTLS traffic
 * setInterval(() => revocations.refresh().catch((err) => log.error({ code: err.code }, 'revocations not refreshed')), 1000).unref();
 * // per connection:
 * if (revocations.isRevoked(peer.serialNumber)) deny();
 */
export class RevocationSource {
  private revoked: ReadonlySet<string> = new Set();
  private version: string | undefined;
  private loaded = false;

  constructor(readonly dir: string) {}

  /** The current set of revoked serials (normalized). */
  get serials(): ReadonlySet<string> {
    return this.revoked;
  }

  /**
   * Re-reads the list if index.json changed. Resolves true when the set of revoked serials changed.
   * On a missing or corrupt index it throws and keeps serving the previous list.
   */
  async refresh(): Promise<boolean> {
    const path = indexPath(this.dir);
    let version: string;
    try {
      const s = await stat(path, { bigint: true });
      version = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new PkiError(missing ? 'PCL_PKI_NOT_FOUND' : 'PCL_PKI_IO', `Could not stat ${quote(path)}`, { cause: err });
    }
    if (this.loaded && version === this.version) return false;
    const next = await readRevokedSerials(this.dir);
    const changed = !this.loaded || next.size !== this.revoked.size || [...next].some((s) => !this.revoked.has(s));
    this.revoked = next;
    this.version = version;
    this.loaded = true;
    return changed;
  }

  /**
   * Whether this serial is revoked, in any spelling normalizeSerial accepts. Throws
   * PCL_PKI_REVOCATIONS_NOT_LOADED until the first successful refresh(): an empty list that was never
   * loaded must not pass for "nothing is revoked".
   */
  isRevoked(serial: string): boolean {
    if (!this.loaded) throw new PkiError('PCL_PKI_REVOCATIONS_NOT_LOADED');
    return isCertRevoked(serial, this.revoked);
  }
}
