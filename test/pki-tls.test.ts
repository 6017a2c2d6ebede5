// Real mTLS handshakes with Node's tls: Portcullis certificates on both sides, a client certificate
// from a CA made with the openssl CLI, a CRL loaded into the server, and peerIdentity on what arrives.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PkiError, peerIdentity, type IssuedCert, type PeerIdentity } from '../pki/index.js';
import { makeTestPki, openssl, type TestPki } from './helpers/pki.js';

let t: TestPki;
let server: IssuedCert;
let client: IssuedCert;
let revokedClient: IssuedCert;
let crlPem: string;
let legacy: { ca: string; cert: string; key: string; twoUrisCert: string; twoUrisKey: string };

interface Outcome {
  /** peerIdentity() on the server side, or the PkiError it threw. */
  peer?: PeerIdentity;
  peerError?: PkiError;
  /** The server saw a verified chain (socket.authorized), or OpenSSL's reason why not. */
  authorized?: boolean;
  authorizationError?: string;
  /** The client got the server's reply. */
  served: boolean;
}

async function handshake(opts: {
  clientCas?: string[];
  crl?: string;
  clientCert?: { certPem: string; keyPem: string };
  requireCert?: boolean;
  servername?: string;
}): Promise<Outcome> {
  const outcome: Outcome = { served: false };
  const srv = createServer({
    key: server.keyPem,
    cert: server.chainPem,
    ca: opts.clientCas ?? [t.pki.ca],
    requestCert: true,
    rejectUnauthorized: opts.requireCert ?? true,
    ...(opts.crl === undefined ? {} : { crl: opts.crl }),
  });
  srv.on('secureConnection', (socket: TLSSocket) => {
    outcome.authorized = socket.authorized;
    if (socket.authorizationError != null) outcome.authorizationError = String(socket.authorizationError);
    try {
      outcome.peer = peerIdentity(socket.getPeerCertificate());
    } catch (err) {
      if (!(err instanceof PkiError)) throw err;
      outcome.peerError = err;
    }
    socket.end('served');
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    await new Promise<void>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: [t.pki.ca],
        ...(opts.servername === undefined ? {} : { servername: opts.servername }),
        ...(opts.clientCert === undefined ? {} : { cert: opts.clientCert.certPem, key: opts.clientCert.keyPem }),
      });
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        if (d.includes('served')) outcome.served = true;
      });
      // With TLS 1.3 the client learns about a refused certificate only after its side finished.
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
  return outcome;
}

beforeAll(async () => {
  t = await makeTestPki({ trustDomain: 'mesh.test' });
  server = await t.pki.issueServer({ name: 'gateway', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  client = await t.pki.issueClient({ kind: 'svc', name: 'billing' });
  revokedClient = await t.pki.issueClient({ kind: 'user', name: 'mallory' });
  await t.pki.revoke(revokedClient.serial, 'keyCompromise');
  crlPem = await t.pki.crlPem();

  // A CA and client certificates made entirely with the openssl CLI, as another team's PKI would be.
  const cwd = t.root;
  const ok = (args: string[]): void => {
    const r = openssl(args, { cwd });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}\n${r.stderr}`);
  };
  ok(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'legacy-ca.key', '-out', 'legacy-ca.crt', '-days', '2', '-subj', '/CN=Legacy CA']);
  ok(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'legacy.key', '-out', 'legacy.csr', '-subj', '/O=Legacy/CN=legacy-client']);
  await t.file('legacy.ext', 'extendedKeyUsage=clientAuth\n');
  // Serial 0x0ABC: Node prints it as "0ABC", which peerIdentity must normalize to "ABC".
  ok(['x509', '-req', '-in', 'legacy.csr', '-CA', 'legacy-ca.crt', '-CAkey', 'legacy-ca.key', '-set_serial', '0x0ABC', '-days', '1', '-extfile', 'legacy.ext', '-out', 'legacy.crt']);
  await t.file('two-uris.ext', 'extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://mesh.test/svc/a,URI:spiffe://mesh.test/svc/admin\n');
  ok(['x509', '-req', '-in', 'legacy.csr', '-CA', 'legacy-ca.crt', '-CAkey', 'legacy-ca.key', '-set_serial', '7', '-days', '1', '-extfile', 'two-uris.ext', '-out', 'two-uris.crt']);
  const read = (f: string): Promise<string> => readFile(join(cwd, f), 'utf8');
  legacy = {
    ca: await read('legacy-ca.crt'),
    cert: await read('legacy.crt'),
    key: await read('legacy.key'),
    twoUrisCert: await read('two-uris.crt'),
    twoUrisKey: await read('legacy.key'),
  };
});
afterAll(() => t.cleanup());

describe('mTLS with Portcullis certificates', () => {
  it('identifies the client by its spiffe URI', async () => {
    const out = await handshake({ clientCert: client, servername: 'localhost' });
    expect(out.served).toBe(true);
    expect(out.peer).toMatchObject({
      id: 'spiffe://mesh.test/svc/billing',
      uri: 'spiffe://mesh.test/svc/billing',
      commonName: 'billing',
      serial: client.serial,
      fingerprint256: new X509Certificate(client.certPem).fingerprint256,
      subject: 'CN=billing',
      issuer: 'CN=Portcullis CA (mesh.test)',
    });
    expect(out.peer?.raw.equals(new X509Certificate(client.certPem).raw)).toBe(true);
    expect(out.peer?.validTo.toISOString()).toBe(client.record.notAfter);
  });

  it('lets the client check the server certificate by IP address as well as by name', async () => {
    const out = await handshake({ clientCert: client });
    expect(out.served).toBe(true);
  });

  it('refuses a client certificate the CRL revokes, and accepts another one with the same CRL', async () => {
    const refused = await handshake({ clientCert: revokedClient, servername: 'localhost', crl: crlPem });
    expect(refused.served).toBe(false);
    expect(refused.peer).toBeUndefined();
    // Accepting unverified peers lets us read OpenSSL's reason, the way the gateway does for logs.
    const reason = await handshake({ clientCert: revokedClient, servername: 'localhost', crl: crlPem, requireCert: false });
    expect(reason.authorized).toBe(false);
    expect(reason.authorizationError).toBe('CERT_REVOKED');
    const accepted = await handshake({ clientCert: client, servername: 'localhost', crl: crlPem });
    expect(accepted.served).toBe(true);
    expect(accepted.authorized).toBe(true);
    expect(accepted.peer?.id).toBe('spiffe://mesh.test/svc/billing');
  });

  it('reports a missing client certificate as PCL_PKI_PEER_NO_CERT', async () => {
    const out = await handshake({ requireCert: false, servername: 'localhost' });
    expect(out.peerError?.code).toBe('PCL_PKI_PEER_NO_CERT');
  });
});

describe('mTLS with a client certificate from an openssl-made CA', () => {
  it('identifies the client by its CN when there is no spiffe URI, and normalizes the serial', async () => {
    const out = await handshake({ clientCas: [t.pki.ca, legacy.ca], clientCert: { certPem: legacy.cert, keyPem: legacy.key }, servername: 'localhost' });
    expect(out.served).toBe(true);
    expect(out.peer).toMatchObject({ id: 'legacy-client', commonName: 'legacy-client', serial: 'ABC', issuer: 'CN=Legacy CA' });
    expect(out.peer?.uri).toBeUndefined();
    expect(out.peer?.subject).toBe('O=Legacy, CN=legacy-client');
  });

  it('refuses to pick one of two spiffe URIs', async () => {
    const out = await handshake({ clientCas: [legacy.ca], clientCert: { certPem: legacy.twoUrisCert, keyPem: legacy.twoUrisKey }, servername: 'localhost' });
    expect(out.peer).toBeUndefined();
    expect(out.peerError?.code).toBe('PCL_PKI_PEER_AMBIGUOUS');
  });

  it('is refused when its CA is not trusted', async () => {
    const out = await handshake({ clientCert: { certPem: legacy.cert, keyPem: legacy.key }, servername: 'localhost' });
    expect(out.served).toBe(false);
    expect(out.peer).toBeUndefined();
  });
});
