// Streaming and upstream TLS through forward(): 50 MB each way with bounded memory, and https/mTLS
// upstreams verified against a CA given in config.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PoolConfig, UpstreamTlsConfig } from '../gateway/config/types.js';
import { GATEWAY_ERRORS, GatewayError } from '../gateway/errors.js';
import { UpstreamPool, forward, type ForwardRequest } from '../gateway/upstream/index.js';
import { bodyText, forwardRequest } from './helpers/forward.js';

const quiet = { upstreamResponse() {}, targetHealth() {}, circuit() {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(server: ReturnType<typeof createServer>, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function pool(url: string, tls?: UpstreamTlsConfig): UpstreamPool {
  const cfg: PoolConfig = {
    name: 'stream',
    targets: [{ url, weight: 1 }],
    healthCheck: { enabled: false, path: '/health', intervalMs: 100, timeoutMs: 200, healthyThreshold: 1, unhealthyThreshold: 1 },
    passive: { consecutiveFailures: 5, baseEjectionMs: 100, maxEjectionMs: 100 },
    circuitBreaker: { failureThreshold: 100, openMs: 100, halfOpenRequests: 1, maxConcurrent: 10 },
    connectionsPerTarget: 4,
    keepAliveTimeoutMs: 4000,
    required: true,
    ...(tls !== undefined ? { tls } : {}),
  };
  const p = new UpstreamPool(cfg, quiet, { connectTimeoutMs: 2000 });
  cleanups.push(() => p.destroy());
  return p;
}

function request(over: Partial<ForwardRequest> = {}): ForwardRequest {
  return forwardRequest({ retries: 0, connectMs: 2000, headersMs: 10_000, bodyMs: 10_000 }, over);
}

const text = bodyText;

describe('streaming', () => {
  const CHUNK = 64 * 1024;
  const CHUNKS = 800; // 50 MiB
  const TOTAL = CHUNK * CHUNKS;

  // Fresh, distinct chunks so that a proxy that kept them would show up in memory and in the hash.
  function* chunks(): Generator<Buffer> {
    for (let i = 0; i < CHUNKS; i++) yield Buffer.alloc(CHUNK, i % 251);
  }
  const expectedSha = ((): string => {
    const h = createHash('sha256');
    for (const c of chunks()) h.update(c);
    return h.digest('hex');
  })();

  // Live memory, not garbage: sample after a forced GC so a lazy collector does not look like a leak.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  function live(): number {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  }
  async function peakGrowth(work: () => Promise<void>): Promise<number> {
    const base = live();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, live())), 25);
    try {
      await work();
    } finally {
      clearInterval(sampler);
    }
    return Math.max(peak, live()) - base;
  }

  it('streams a 50 MB request body to the upstream with bounded memory', async () => {
    const url = await listen(
      createServer((req, res) => {
        const h = createHash('sha256');
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
          h.update(c);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha: h.digest('hex') })));
      }),
      'http',
    );
    const p = pool(url);
    let answer = '';
    const growth = await peakGrowth(async () => {
      const res = await forward(p, request({ method: 'POST', idempotent: false, body: Readable.from(chunks()), headers: { 'content-type': 'application/octet-stream' } }));
      answer = await text(res);
    });
    expect(JSON.parse(answer)).toEqual({ bytes: TOTAL, sha: expectedSha });
    expect(growth).toBeLessThan(20 * 1024 * 1024);
  });

  it('streams a 50 MB response body from the upstream with bounded memory', async () => {
    const url = await listen(
      createServer((_req, res) => {
        res.setHeader('content-length', String(TOTAL));
        Readable.from(chunks()).pipe(res);
      }),
      'http',
    );
    const p = pool(url);
    let bytes = 0;
    let sha = '';
    const growth = await peakGrowth(async () => {
      const res = await forward(p, request());
      expect(res.headers['content-length']).toBe(String(TOTAL));
      const h = createHash('sha256');
      for await (const c of res.body) {
        bytes += (c as Buffer).length;
        h.update(c as Buffer);
      }
      sha = h.digest('hex');
    });
    expect({ bytes, sha }).toEqual({ bytes: TOTAL, sha: expectedSha });
    expect(growth).toBeLessThan(20 * 1024 * 1024);
    expect(p.inFlight).toBe(0);
  });

  it('a request body that fails mid-stream rethrows its own GatewayError and does not blame the upstream', async () => {
    const url = await listen(createServer((req, res) => req.on('end', () => res.end())).on('request', (req) => req.resume()), 'http');
    const p = pool(url);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1024);
      await new Promise((r) => setTimeout(r, 20));
      throw new GatewayError('PCL_BODY_TOO_LARGE');
    }
    const body = Readable.from(failing());
    const err = await forward(p, request({ method: 'PUT', body })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('PCL_BODY_TOO_LARGE');
    expect(p.snapshot().targets[0]).toMatchObject({ healthy: true, inFlight: 0 });
    expect(p.inFlight).toBe(0);
  });

  it('leaves the caller\'s body stream alive when the upstream cannot be reached', async () => {
    const dead = await listen(createServer(), 'http');
    await cleanups.pop()?.();
    const p = pool(dead);
    const body = new Readable({ read() {} });
    body.push('not yet complete');
    const err = await forward(p, request({ method: 'POST', body })).catch((e: unknown) => e);
    expect((err as GatewayError).code).toBe('PCL_UPSTREAM_UNAVAILABLE');
    // Destroying an unfinished IncomingMessage would reset the client's socket before it gets the 503.
    expect(body.destroyed).toBe(false);
  });
});

describe('upstream TLS', () => {
  let dir = '';
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };

  /** A self-signed certificate (its own CA) for 127.0.0.1 / localhost: key from node:crypto, cert from openssl. */
  function selfSigned(name: string): { cert: string; key: string } {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    writeFileSync(keyFile, key, { mode: 0o600 });
    execFileSync('openssl', [
      'req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' });
    return { cert: readFileSync(certFile, 'utf8'), key };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-upstream-tls-'));
    server = selfSigned('upstream');
    client = selfSigned('gateway');
    stranger = selfSigned('stranger');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function httpsUpstream(opts: ServerOptions, handler: Handler = (_req, res) => res.end('secure')): Promise<string> {
    return listen(createHttpsServer({ ...opts, minVersion: 'TLSv1.2' }, handler) as unknown as ReturnType<typeof createServer>, 'https');
  }

  it('verifies an https upstream against the configured CA', async () => {
    const url = await httpsUpstream({ cert: server.cert, key: server.key });
    const res = await forward(pool(url, { ca: server.cert, rejectUnauthorized: true }), request());
    expect(await text(res)).toBe('secure');
  });

  it('refuses an upstream whose certificate the configured CA did not sign', async () => {
    const url = await httpsUpstream({ cert: server.cert, key: server.key });
    const p = pool(url, { ca: stranger.cert, rejectUnauthorized: true });
    const err = await forward(p, request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(['PCL_UPSTREAM_ERROR', 'PCL_UPSTREAM_UNAVAILABLE']).toContain((err as GatewayError).code);
    expect((err as GatewayError).message).toBe(GATEWAY_ERRORS[(err as GatewayError).code].message);
    expect((err as GatewayError).message).not.toMatch(/certificate|self.signed|verify/i);
  });

  it('presents a client certificate for mTLS to the upstream', async () => {
    const url = await httpsUpstream(
      { cert: server.cert, key: server.key, ca: client.cert, requestCert: true, rejectUnauthorized: true },
      (req, res) => res.end((req.socket as TLSSocket).getPeerCertificate().subject.CN),
    );
    const res = await forward(pool(url, { ca: server.cert, cert: client.cert, key: client.key, servername: 'localhost', rejectUnauthorized: true }), request());
    expect(await text(res)).toBe('gateway');

    // Without the client certificate the upstream hangs up during the handshake.
    const err = await forward(pool(url, { ca: server.cert, rejectUnauthorized: true }), request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
  });
});
