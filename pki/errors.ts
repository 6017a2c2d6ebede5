// Every error pki/ raises is declared here, with its stable code, the HTTP status an API should map it
// to, and what the operator should do next. Messages may quote names, serials and paths the caller
// gave us (truncated and escaped by `quote`), never key material.

export interface PkiErrorSpec {
  status: number;
  message: string;
  hint: string;
}

/**
 * Every pki/ error code with its HTTP status, message and hint; the one place a status is chosen.
 *
 * @example
 * reply.code(PKI_ERRORS[err.code].status);
 */
export const PKI_ERRORS = {
  // PKI directory state.
  PCL_PKI_EXISTS: { status: 409, message: 'A CA already exists in this PKI directory.', hint: 'Use the existing CA, or pass force (--force) to archive it under archive/ and create a new one.' },
  PCL_PKI_NOT_FOUND: { status: 404, message: 'No PKI was found in this directory.', hint: 'Create one with `portcullis pki init --dir <dir>`, or point --dir at the right directory.' },
  PCL_PKI_INDEX_CORRUPT: { status: 500, message: 'The certificate index (index.json) is unreadable or invalid.', hint: 'It was left untouched; restore it from a backup before issuing or revoking anything.' },
  PCL_PKI_CRLNUMBER_CORRUPT: { status: 500, message: 'The CRL number file (crlnumber) is unreadable or invalid.', hint: 'It was left untouched; restore it, or write a number larger than any CRL you have published.' },
  PCL_PKI_CA_INVALID: { status: 500, message: 'The CA certificate or key (ca.crt, ca.key) is unreadable, invalid or mismatched.', hint: 'Restore ca.crt and ca.key from a backup, or create a new CA with `portcullis pki init --force`.' },
  PCL_PKI_LOCKED: { status: 503, message: 'Another process is changing this PKI directory.', hint: 'Retry shortly; if no portcullis command is running, delete the stale .lock file in the PKI directory.' },
  PCL_PKI_IO: { status: 500, message: 'A PKI file could not be read or written.', hint: 'Check that the directory exists, has space, and is writable by this user.' },
  PCL_PKI_OUT_EXISTS: { status: 409, message: 'The output file already exists.', hint: 'Choose another --out prefix, or delete the old files first.' },

  // Input validation.
  PCL_PKI_BAD_NAME: { status: 400, message: 'The name is not allowed.', hint: 'Use 1 to 64 characters from A-Z a-z 0-9 . _ - (and not "." or "..").' },
  PCL_PKI_BAD_COMMON_NAME: { status: 400, message: 'The CA common name is not allowed.', hint: 'Use 1 to 64 printable characters.' },
  PCL_PKI_BAD_TRUST_DOMAIN: { status: 400, message: 'The trust domain is not allowed.', hint: 'Use a lowercase DNS name such as "portcullis.local" (labels of a-z 0-9 -, at most 253 characters).' },
  PCL_PKI_BAD_DNS_NAME: { status: 400, message: 'The DNS name is not allowed.', hint: 'Use RFC 1123 host names (labels of letters, digits and inner hyphens, up to 63 characters each); pass IP addresses as IPs.' },
  PCL_PKI_BAD_IP: { status: 400, message: 'The IP address is not valid.', hint: 'Use a plain IPv4 (127.0.0.1) or IPv6 (::1) address without a zone or prefix length.' },
  PCL_PKI_NO_SANS: { status: 400, message: 'A server certificate needs at least one DNS name or IP address.', hint: 'Pass --dns and/or --ip.' },
  PCL_PKI_TOO_MANY_SANS: { status: 400, message: 'Too many DNS names and IP addresses.', hint: 'Use at most 100 in one certificate.' },
  PCL_PKI_BAD_KIND: { status: 400, message: 'The certificate kind is not known.', hint: 'Use one of: server, svc, user, kms.' },
  PCL_PKI_BAD_DAYS: { status: 400, message: 'The validity period is not allowed.', hint: 'Use a whole number of days from 1 to 3650.' },
  PCL_PKI_CA_EXPIRES_FIRST: { status: 400, message: 'The certificate would outlive the CA that signs it.', hint: 'Use fewer days, or create a new CA.' },
  PCL_PKI_BAD_SERIAL: { status: 400, message: 'The serial number is not valid.', hint: 'Use the hexadecimal serial printed by `portcullis certs list` (at most 40 hex digits).' },
  PCL_PKI_UNKNOWN_SERIAL: { status: 404, message: 'No certificate with this serial was issued by this CA.', hint: 'Check the serial with `portcullis certs list`.' },
  PCL_PKI_BAD_REASON: { status: 400, message: 'The revocation reason is not known.', hint: 'Use one of: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn.' },

  // Peer certificates presented over TLS.
  PCL_PKI_PEER_NO_CERT: { status: 401, message: 'The peer did not present a certificate.', hint: 'Connect with a client certificate issued by a trusted CA.' },
  PCL_PKI_PEER_SAN_INVALID: { status: 401, message: 'The peer certificate\'s subject alternative names could not be parsed.', hint: 'Use a certificate issued by `portcullis certs issue`.' },
  PCL_PKI_PEER_AMBIGUOUS: { status: 401, message: 'The peer certificate names more than one identity.', hint: 'Use a certificate with exactly one spiffe:// URI (or, without one, exactly one CN).' },
  PCL_PKI_PEER_NO_IDENTITY: { status: 401, message: 'The peer certificate has neither a spiffe:// URI nor a common name.', hint: 'Use a certificate issued by `portcullis certs issue`.' },

  // Revocation checks.
  PCL_PKI_REVOCATIONS_NOT_LOADED: { status: 503, message: 'The revocation list has not been loaded yet.', hint: 'Await RevocationSource.refresh() once before serving mTLS traffic.' },
} as const satisfies Record<string, PkiErrorSpec>;

export type PkiErrorCode = keyof typeof PKI_ERRORS;

/**
 * The one error class pki/ throws. `code` is stable and safe to match on; `message` is the spec's
 * message, the offending detail if any, and the hint.
 *
 * @example
 * try {
 *   await pki.revoke('not-hex');
 * } catch (err) {
 *   if (err instanceof PkiError && err.code === 'PCL_PKI_BAD_SERIAL') console.error(err.message);
 * }
 */
export class PkiError extends Error {
  readonly code: PkiErrorCode;
  readonly status: number;
  readonly hint: string;

  constructor(code: PkiErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec: PkiErrorSpec = PKI_ERRORS[code];
    super(detail === undefined ? `${spec.message} ${spec.hint}` : `${spec.message} ${detail}. ${spec.hint}`, options);
    this.name = 'PkiError';
    this.code = code;
    this.status = spec.status;
    this.hint = spec.hint;
  }
}

/** Quotes untrusted text for an error message: bounded length, control characters escaped. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
