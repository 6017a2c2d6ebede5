// Which CA may vouch for which identities. The gateway may trust several client CAs (ours plus, say,
// an openssl-made CA of another team), but identities in our own SPIFFE trust domain name our users,
// services and KMS nodes, so only our CA may issue them: any other trusted CA could otherwise mint
// `spiffe://<our-domain>/user/admin`.
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { FILES, readTextIfExists } from './files.js';

export interface TrustDomainAuthority {
  trustDomain: string;
  /** Our CA; undefined when this gateway runs without a Portcullis PKI (then nobody may claim the domain). */
  ca: X509Certificate | undefined;
}

/**
 * The authority for `trustDomain` from the CA in a PKI directory (missing directory → no CA).
 *
 * @example
 * const authority = await loadTrustDomainAuthority('.portcullis/pki', 'portcullis.local');
 */
export async function loadTrustDomainAuthority(dir: string, trustDomain: string): Promise<TrustDomainAuthority> {
  const pem = await readTextIfExists(join(dir, FILES.caCert));
  return { trustDomain, ca: pem === undefined ? undefined : new X509Certificate(pem) };
}

/**
 * Decides whether a verified leaf certificate may carry `identityUri`. URIs outside our trust domain
 * are not ours to police (the chain check already vouched for them); URIs inside it must be signed
 * by our CA. One signature check, done once per connection.
 *
 * @example
 * mayClaimIdentity('spiffe://portcullis.local/user/admin', peer.raw, authority); // false unless our CA signed it
 */
export function mayClaimIdentity(identityUri: string | undefined, leafDer: Buffer, authority: TrustDomainAuthority): boolean {
  if (identityUri === undefined) return true;
  const prefix = `spiffe://${authority.trustDomain}/`;
  if (identityUri.slice(0, prefix.length).toLowerCase() !== prefix) return true;
  if (authority.ca === undefined) return false;
  try {
    const leaf = new X509Certificate(leafDer);
    return leaf.checkIssued(authority.ca) && leaf.verify(authority.ca.publicKey);
  } catch {
    return false;
  }
}
