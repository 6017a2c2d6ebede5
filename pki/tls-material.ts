// Puts issued material on disk for a TLS server or client to load. Kept apart from issuing because
// the library never stores leaf keys itself: where a key lands is the caller's decision.
import { PkiError, quote } from './errors.js';
import { exists, writeFileAtomic } from './files.js';
import type { IssuedCert } from './pki.js';

export interface WrittenFiles {
  certPath: string;
  keyPath: string;
}

/**
 * Writes `<prefix>.crt` (the leaf certificate) and `<prefix>.key` (mode 0600). Existing files are
 * refused with PCL_PKI_OUT_EXISTS unless `overwrite`, so a typo cannot replace a live key.
 *
 * @example
 * const issued = await pki.issueClient({ kind: 'svc', name: 'billing' });
 * const { certPath, keyPath } = await writeIssuedFiles('certs/billing', issued);
 */
export async function writeIssuedFiles(prefix: string, issued: Pick<IssuedCert, 'certPem' | 'keyPem'>, opts: { overwrite?: boolean } = {}): Promise<WrittenFiles> {
  const certPath = `${prefix}.crt`;
  const keyPath = `${prefix}.key`;
  const exclusive = opts.overwrite !== true;
  if (exclusive) {
    // Checked up front so a refusal leaves neither file behind; the exclusive writes below still
    // close the race with a concurrent writer.
    for (const path of [certPath, keyPath]) {
      if (await exists(path)) throw new PkiError('PCL_PKI_OUT_EXISTS', `Found ${quote(path)}`);
    }
  }
  await writeFileAtomic(keyPath, issued.keyPem, { mode: 0o600, exclusive });
  await writeFileAtomic(certPath, issued.certPem, { mode: 0o644, exclusive });
  return { certPath, keyPath };
}
