// Public surface of pki/: the CA and issuing (pki.ts), revocation for the gateway (revocation.ts),
// mTLS peer identity (peer-identity.ts), serial normalization, and the error type. Other modules
// import from here only. Each export carries its own doc comment and example where it is defined.
export { PkiError, PKI_ERRORS, type PkiErrorCode } from './errors.js';
export {
  initPki,
  openPki,
  certStatus,
  Pki,
  type InitPkiOptions,
  type IssueServerOptions,
  type IssueClientOptions,
  type IssuedCert,
  type IssuedCrl,
  type ListedCert,
  type CertStatus,
  type RevokeResult,
} from './pki.js';
export type { IssuedCertRecord, CertKind } from './state.js';
export { normalizeSerial } from './serial.js';
export { readRevokedSerials, RevocationSource, isCertRevoked } from './revocation.js';
export { peerIdentity, parseSubjectAltName, type PeerIdentity, type AltName } from './peer-identity.js';
export { writeIssuedFiles, type WrittenFiles } from './tls-material.js';
export { REVOCATION_REASONS, type RevocationReason, type ClientKind, type IssueKind } from './validate.js';
export { loadTrustDomainAuthority, mayClaimIdentity, type TrustDomainAuthority } from './trust-domain.js';
