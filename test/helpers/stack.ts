// A throwaway Portcullis stack for end-to-end edge tests: a fresh PKI, certificates of every kind a
// client might present (ours, another CA's made with the openssl CLI, a rogue CA's, an expired one),
// a real echo upstream that records what reached it, and a gateway started from a YAML file through
// loadConfig, exactly as `portcullis gateway` would. One per test file: it costs a few RSA keys.
import { X509Certificate, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { expect } from 'vitest';
import { loadConfig } from '../../gateway/config/index.js';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { normalizeSerial, type IssuedCert } from '../../pki/index.js';
import { freePort } from './cli.js';
import { startEchoUpstream, type EchoUpstream, type SeenRequest } from './echo-upstream.js';
import { makeTestPki, openssl, type TestPki } from './pki.js';
import { get, openConnection, rawRequest, type RawConnection, type RawResponse, type TlsClientOptions } from './raw-client.js';

/** A client certificate as a TLS client presents it. */
export interface ClientCert {
  cert: string;
  key: string;
  /** Normalized serial (pki/serial.ts form). */
  serial: string;
  /** The leaf's DER, to compare with what the gateway forwards. */
  der: Buffer;
}

export interface StackClients {
  /** spiffe://portcullis.test/svc/good, issued by the gateway's own PKI. */
  svc: ClientCert;
  /** spiffe://portcullis.test/svc/doomed: for the revocation test, nothing else. */
  doomed: ClientCert;
  /** spiffe://portcullis.test/user/alice. */
  user: ClientCert;
  /** CN=legacy-client from a second CA made with the openssl CLI and listed in server.tls.clientCa. */
  legacy: ClientCert;
  /** From a CA the gateway does not trust; claims the svc/good SPIFFE id to make impersonation explicit. */
  rogue: ClientCert;
  /** From another openssl CA the gateway DOES trust (in clientCa), claiming our trust domain's svc/good. */
  impostor: ClientCert;
  /** Signed by the gateway's CA, but its validity ended yesterday. */
  expired: ClientCert;
  /** The gateway's own server certificate (EKU serverAuth only), as a thief of a server key would present it. */
  server: ClientCert;
}

export const TRUST_DOMAIN = 'portcullis.test';
/** Served by the `hosted` route only; the server certificate covers it so SNI can match. */
export const API_HOST = 'api.portcullis.test';
export const SMALL_BODY_LIMIT = 64;
export const PATH_MAX_LENGTH = 2048;
export const MAX_HEADER_BYTES = 8192;

export interface SendOptions {
  client?: ClientCert;
  headers?: Record<string, string>;
  method?: string;
  tls?: Partial<TlsClientOptions>;
}

export interface Stack {
  readonly port: number;
  /** The CA that signed the gateway's server certificate (and our own client certificates). */
  readonly ca: string;
  readonly root: string;
  readonly pkiDir: string;
  readonly testPki: TestPki;
  readonly upstream: EchoUpstream;
  readonly gateway: RunningGateway;
  readonly clients: StackClients;
  /** Raw-client options for the data port, presenting `client` when given. */
  tls(client?: ClientCert, over?: Partial<TlsClientOptions>): TlsClientOptions;
  /** One request with `Connection: close` (see raw-client `get`). */
  get(path: string, opts?: SendOptions): Promise<RawResponse>;
  /** Exact bytes on a fresh connection; the response is read until the server closes. */
  raw(bytes: string | Buffer, opts?: Omit<SendOptions, 'headers' | 'method'>): Promise<RawResponse>;
  /** A keep-alive connection. */
  connect(client?: ClientCert, over?: Partial<TlsClientOptions>): Promise<RawConnection>;
  /**
   * Runs `send`, then pushes a barrier request through the gateway to the upstream and returns what
   * else the upstream received in between. The barrier's answer proves the upstream has processed
   * everything sent before it on the gateway, so no sleep is needed to assert "it never arrived".
   */
  upstreamSaw<T>(send: () => Promise<T>): Promise<{ result: T; reached: SeenRequest[] }>;
  close(): Promise<void>;
}

/** The YAML the gateway runs on; every route kind the edge tests need. */
function configYaml(adminPort: number, upstreamPort: number): string {
  return `version: 1
dataDir: data
server:
  host: 127.0.0.1
  port: 0
  tls:
    cert: gateway.crt
    key: { file: gateway.key }
    clientCa: [pki/ca.crt, legacy-ca.crt, impostor-ca.crt]
  maxHeaderBytes: ${MAX_HEADER_BYTES}
  paths:
    maxLength: ${PATH_MAX_LENGTH}
  drainTimeoutMs: 1000
admin:
  enabled: true
  host: 127.0.0.1
  port: ${adminPort}
pki:
  dir: pki
  trustDomain: ${TRUST_DOMAIN}
  revocationRefreshMs: 200
logging:
  level: silent
  accessLog: false
pools:
  echo:
    targets:
      - url: http://127.0.0.1:${upstreamPort}
routes:
  - name: open
    match: { path: { prefix: /open } }
    pool: echo
    stripPrefix: true
    mtls: off
  - name: secure
    match: { path: { prefix: /secure } }
    pool: echo
    mtls: required
  - name: maybe
    match: { path: { prefix: /maybe } }
    pool: echo
    mtls: optional
  - name: hosted
    match: { hosts: [${API_HOST}], path: { prefix: /hosted } }
    pool: echo
  - name: upload
    match: { path: { prefix: /upload } }
    pool: echo
    bodyLimit: ${SMALL_BODY_LIMIT}
  - name: readonly
    match: { path: { prefix: /readonly }, methods: [GET] }
    pool: echo
  - name: users
    match: { path: { pattern: /users/:id } }
    pool: echo
`;
}

function fromIssued(issued: IssuedCert): ClientCert {
  return { cert: issued.certPem, key: issued.keyPem, serial: issued.serial, der: new X509Certificate(issued.certPem).raw };
}

function fromPem(cert: string, key: string): ClientCert {
  const x = new X509Certificate(cert);
  return { cert, key, serial: normalizeSerial(x.serialNumber), der: x.raw };
}

/** Another team's CA and a client certificate it signed, made with the openssl CLI in `cwd`. */
async function opensslCa(t: TestPki, name: string, subject: string, ext: string): Promise<{ ca: string; client: ClientCert }> {
  const run = (args: string[]): void => {
    const r = openssl(args, { cwd: t.root });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}\n${r.stderr}`);
  };
  await t.file(`${name}.ext`, ext);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.crt`, '-days', '2', '-subj', `/CN=${name} CA`]);
  run(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.crt`, '-CAkey', `${name}-ca.key`, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  const read = (f: string): Promise<string> => readFile(join(t.root, f), 'utf8');
  return { ca: await read(`${name}-ca.crt`), client: fromPem(await read(`${name}.crt`), await read(`${name}.key`)) };
}

/**
 * A client certificate signed by the gateway's own CA key whose validity is entirely in the past.
 * The PKI refuses to issue such a thing, so it is assembled here with node-forge from ca.key.
 */
async function expiredClient(t: TestPki): Promise<ClientCert> {
  const caCert = forge.pki.certificateFromPem(t.pki.ca);
  const caKey = forge.pki.privateKeyFromPem(await readFile(join(t.dir, 'ca.key'), 'utf8'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // Leading 01 keeps the DER integer positive and minimal.
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  const day = 24 * 60 * 60 * 1000;
  cert.validity.notBefore = new Date(Date.now() - 10 * day);
  cert.validity.notAfter = new Date(Date.now() - day);
  cert.setSubject([{ name: 'commonName', value: 'expired' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 6, value: `spiffe://${TRUST_DOMAIN}/svc/expired` }] },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return fromPem(forge.pki.certificateToPem(cert), privateKey);
}

export async function startStack(): Promise<Stack> {
  const t = await makeTestPki({ trustDomain: TRUST_DOMAIN });
  const cleanups: (() => Promise<unknown>)[] = [() => t.cleanup()];
  try {
    const server = await t.pki.issueServer({ name: 'gateway', dnsNames: ['localhost', API_HOST], ipAddresses: ['127.0.0.1'] });
    await t.file('gateway.crt', server.chainPem);
    await t.file('gateway.key', server.keyPem);
    const clientExt = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
    const legacy = await opensslCa(t, 'legacy', '/O=Legacy/CN=legacy-client', clientExt);
    const rogue = await opensslCa(t, 'rogue', '/CN=good', `${clientExt}subjectAltName=URI:spiffe://${TRUST_DOMAIN}/svc/good\n`);
    const impostor = await opensslCa(t, 'impostor', '/CN=good', `${clientExt}subjectAltName=URI:spiffe://${TRUST_DOMAIN}/svc/good\n`);
    const clients: StackClients = {
      svc: fromIssued(await t.pki.issueClient({ kind: 'svc', name: 'good' })),
      doomed: fromIssued(await t.pki.issueClient({ kind: 'svc', name: 'doomed' })),
      user: fromIssued(await t.pki.issueClient({ kind: 'user', name: 'alice' })),
      legacy: legacy.client,
      rogue: rogue.client,
      impostor: impostor.client,
      expired: await expiredClient(t),
      server: fromIssued(server),
    };

    const upstream = await startEchoUpstream('echo');
    cleanups.unshift(() => upstream.close());
    const configPath = await t.file('portcullis.yaml', configYaml(await freePort(), upstream.port));
    // An empty env: a developer's PORTCULLIS_* variables must not change what these tests run on.
    const config = await loadConfig(configPath, { env: {} });
    const gateway = await startGateway(config);
    cleanups.unshift(() => gateway.close());

    const tlsOptions = (client?: ClientCert, over: Partial<TlsClientOptions> = {}): TlsClientOptions => ({
      port: gateway.dataPort,
      ca: t.pki.ca,
      ...(client !== undefined ? { cert: client.cert, key: client.key } : {}),
      ...over,
    });
    const stack: Stack = {
      port: gateway.dataPort,
      ca: t.pki.ca,
      root: t.root,
      pkiDir: t.dir,
      testPki: t,
      upstream,
      gateway,
      clients,
      tls: tlsOptions,
      get: (path, opts = {}) => get(tlsOptions(opts.client, opts.tls), path, opts.headers, opts.method),
      raw: (bytes, opts = {}) => rawRequest(tlsOptions(opts.client, opts.tls), bytes),
      connect: (client, over) => openConnection(tlsOptions(client, over)),
      async upstreamSaw(send) {
        const before = upstream.seen.length;
        const result = await send();
        const barrier = `/__barrier/${randomUUID()}`;
        const res = await get(tlsOptions(), `/open${barrier}`);
        if (res.status !== 200) throw new Error(`barrier request failed with ${res.status}: ${res.body}`);
        return { result, reached: upstream.seen.slice(before).filter((r) => r.url !== barrier) };
      },
      async close() {
        for (const c of cleanups) await c();
      },
    };
    return stack;
  } catch (err) {
    for (const c of cleanups) await c().catch(() => undefined);
    throw err;
  }
}

/** The gateway's JSON refusal: status, stable code, content type, and the shape clients parse. */
export function expectRefusal(res: RawResponse, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.hint).toBe('string');
}

/** What the echo upstream reported about the request it received (its JSON answer). */
export interface EchoBody {
  upstream: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
}

export function echoed(res: RawResponse): EchoBody {
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
  return res.json<EchoBody>();
}

/** Poll `check` until it returns true; for state that changes asynchronously (revocation refresh). */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs = 5000, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
