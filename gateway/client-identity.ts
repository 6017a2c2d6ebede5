// Who is on the other end of a TLS connection, and whether a route may serve them. The certificate is
// parsed once per connection (the handshake happens once; requests on a keep-alive connection reuse
// it), but revocation is checked on every request so `certs revoke` takes effect on open connections.
import type { TLSSocket } from 'node:tls';
import { mayClaimIdentity, peerIdentity, type PeerIdentity, type TrustDomainAuthority } from '../pki/index.js';
import type { MtlsMode } from './config/types.js';
import type { GatewayErrorCode } from './errors.js';

export interface ConnectionIdentity {
  /** The client sent a certificate. */
  presented: boolean;
  /** It chains to a configured client CA and is within its validity period. */
  verified: boolean;
  /** OpenSSL's reason when not verified (for logs only, never sent to clients). */
  verifyError?: string;
  peer?: PeerIdentity;
}

const NO_CERTIFICATE: ConnectionIdentity = Object.freeze({ presented: false, verified: false });
const cache = new WeakMap<TLSSocket, ConnectionIdentity>();

/**
 * The identity of the TLS peer on `socket`, computed on first use and kept for the connection. A
 * certificate claiming an identity in our trust domain that our CA did not sign counts as unverified.
 */
export function connectionIdentity(socket: TLSSocket, authority: TrustDomainAuthority): ConnectionIdentity {
  let found = cache.get(socket);
  if (found !== undefined) return found;
  const cert = socket.getPeerCertificate(true);
  if (cert === null || cert === undefined || cert.raw === undefined) {
    found = NO_CERTIFICATE;
  } else {
    const error = socket.authorizationError;
    let peer: PeerIdentity | undefined;
    try {
      peer = peerIdentity(cert);
    } catch {
      // No usable identity (no CN or URI SAN, several SPIFFE IDs, unparseable SAN): a certificate we
      // cannot name is treated as an invalid one, never as anonymous.
      peer = undefined;
    }
    const chainOk = socket.authorized === true && peer !== undefined;
    const claimOk = chainOk && peer !== undefined && mayClaimIdentity(peer.uri, peer.raw, authority);
    const verifyError = error !== undefined && error !== null ? String(error) : chainOk && !claimOk ? 'TRUST_DOMAIN_CLAIMED_BY_FOREIGN_CA' : undefined;
    found = {
      presented: true,
      verified: claimOk,
      ...(verifyError !== undefined ? { verifyError } : {}),
      ...(peer !== undefined ? { peer } : {}),
    };
  }
  cache.set(socket, found);
  return found;
}

export type ClientCertDecision = { ok: true; peer: PeerIdentity | undefined } | { ok: false; code: GatewayErrorCode };

/**
 * Whether a route with mTLS mode `mode` may serve this connection. `required`: a verified, unrevoked
 * certificate. `optional`: anonymous is fine, but a certificate that is presented must be verified and
 * unrevoked (a bad certificate is never silently downgraded to anonymous). `off`: certificates are
 * ignored and no identity is forwarded.
 */
export function decideClientCert(mode: MtlsMode, conn: ConnectionIdentity, revokedSerials: ReadonlySet<string>): ClientCertDecision {
  if (mode === 'off') return { ok: true, peer: undefined };
  if (!conn.presented) return mode === 'required' ? { ok: false, code: 'PCL_CLIENT_CERT_REQUIRED' } : { ok: true, peer: undefined };
  if (!conn.verified || conn.peer === undefined) return { ok: false, code: 'PCL_CLIENT_CERT_INVALID' };
  if (revokedSerials.has(conn.peer.serial)) return { ok: false, code: 'PCL_CLIENT_CERT_REVOKED' };
  return { ok: true, peer: conn.peer };
}
