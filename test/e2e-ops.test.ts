// Operating the gateway: failover across upstream targets, the admin port (health, readiness, metrics),
// rate limits, hot reload of good and bad config through the real `portcullis gateway` process, and
// graceful shutdown that lets in-flight requests finish.
import http from 'node:http';
import tls from 'node:tls';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../gateway/config/index.js';
import { startGateway, type RunningGateway } from '../gateway/index.js';
import { makeTestPki, type TestPki } from './helpers/pki.js';
import { startEchoUpstream, type EchoUpstream } from './helpers/echo-upstream.js';
import { get, rawRequest, type TlsClientOptions } from './helpers/raw-client.js';
import { eventually, freePort, spawnCli } from './helpers/cli.js';
import { pino } from 'pino';

interface Files {
  serverCert: string;
  serverKey: string;
  ca: string;
  client: { cert: string; key: string };
  admin: { cert: string; key: string };
  other: { cert: string; key: string };
}

let t: TestPki;
let files: Files;
let pems: { ca: string; client: { cert: string; key: string }; admin: { cert: string; key: string }; other: { cert: string; key: string } };

beforeAll(async () => {
  t = await makeTestPki({ trustDomain: 'ops.test' });
  const server = await t.save('server', await t.pki.issueServer({ name: 'gw', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }));
  const client = await t.pki.issueClient({ kind: 'svc', name: 'billing' });
  const admin = await t.pki.issueClient({ kind: 'user', name: 'admin' });
  const other = await t.pki.issueClient({ kind: 'svc', name: 'other' });
  const c = await t.save('client', client);
  const a = await t.save('admin', admin);
  const o = await t.save('other', other);
  files = { serverCert: server.chain, serverKey: server.key, ca: await t.file('ca.crt', t.pki.ca), client: c, admin: a, other: o };
  pems = {
    ca: t.pki.ca,
    client: { cert: client.certPem, key: client.keyPem },
    admin: { cert: admin.certPem, key: admin.keyPem },
    other: { cert: other.certPem, key: other.keyPem },
  };
}, 60_000);

afterAll(() => t.cleanup());

function configYaml(opts: { port: number; adminPort: number; targets: string[]; extraRoutes?: string; poolExtra?: string }): string {
  return `version: 1
dataDir: ${t.root}
server:
  host: 127.0.0.1
  port: ${opts.port}
  tls: { cert: ${files.serverCert}, key: { file: ${files.serverKey} }, clientCa: [${files.ca}] }
  drainTimeoutMs: 5000
admin:
  host: 127.0.0.1
  port: ${opts.adminPort}
  allowedIdentities: [spiffe://ops.test/user/admin]
pki: { dir: ${t.dir}, trustDomain: ops.test, revocationRefreshMs: 200 }
logging: { level: warn }
pools:
  main:
    targets:
${opts.targets.map((u) => `      - { url: ${u} }`).join('\n')}
    healthCheck: { path: /healthz, intervalMs: 100, timeoutMs: 80, healthyThreshold: 1, unhealthyThreshold: 1 }
    passive: { consecutiveFailures: 1, baseEjectionMs: 200, maxEjectionMs: 1000 }
${opts.poolExtra ?? ''}
routes:
  - name: main
    match: { path: { prefix: /svc } }
    pool: main
    stripPrefix: true
    retries: 2
  - name: limited
    match: { path: { prefix: /limited } }
    pool: main
    stripPrefix: true
    mtls: required
    rateLimit: { client: { ratePerSec: 0.01, burst: 3 } }
${opts.extraRoutes ?? ''}`;
}

async function startInProcess(targets: string[], extra: { extraRoutes?: string; poolExtra?: string } = {}): Promise<{ gw: RunningGateway; data: TlsClientOptions; admin: TlsClientOptions }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const path = join(t.root, `gw-${port}.yaml`);
  await writeFile(path, configYaml({ port, adminPort, targets, ...extra }));
  const gw = await startGateway(await loadConfig(path), { logger: pino({ level: 'silent' }) });
  return { gw, data: { port: gw.dataPort, ca: pems.ca }, admin: { port: gw.adminPort!, ca: pems.ca, cert: pems.admin.cert, key: pems.admin.key } };
}

describe('failover through the gateway', () => {
  let ups: EchoUpstream[];
  let gw: RunningGateway;
  let data: TlsClientOptions;
  let admin: TlsClientOptions;

  beforeAll(async () => {
    ups = await Promise.all(['a', 'b', 'c'].map((n) => startEchoUpstream(n)));
    ({ gw, data, admin } = await startInProcess(ups.map((u) => u.url)));
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all(ups.map((u) => u.close().catch(() => undefined)));
  });

  const who = async (): Promise<{ status: number; upstream: string | undefined; code: string | undefined }> => {
    const res = await get(data, '/svc/items');
    const body = JSON.parse(res.body) as { upstream?: string; error?: { code: string } };
    return { status: res.status, upstream: body.upstream, code: body.error?.code };
  };

  it('spreads traffic over all healthy targets', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add((await who()).upstream ?? '?');
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it('ejects a target that dies and keeps serving from the others without errors', async () => {
    await ups[1]!.kill();
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await who());
    expect(results.every((r) => r.status === 200)).toBe(true);
    const after = results.slice(10).map((r) => r.upstream);
    expect(after).not.toContain('b');
    const ready = await get(admin, '/readyz');
    expect(ready.status).toBe(200);
    const metrics = await get(admin, '/metrics');
    expect(metrics.body).toMatch(/portcullis_upstream_healthy\{pool="main",target="http:\/\/127\.0\.0\.1:\d+"\} 0/);
  });

  it('brings a recovering target back into rotation', async () => {
    await ups[1]!.revive();
    await eventually(async () => (await who()).upstream === 'b', 5000);
  });

  it('answers 503 PCL_UPSTREAM_UNAVAILABLE when every target is down, and /readyz says not ready', async () => {
    await Promise.all(ups.map((u) => u.kill()));
    const res = await eventually(async () => {
      const r = await who();
      return r.status === 503 ? r : undefined;
    });
    expect(['PCL_UPSTREAM_UNAVAILABLE', 'PCL_CIRCUIT_OPEN']).toContain(res.code);
    const unavailable = await eventually(async () => {
      const r = await get(data, '/svc/x');
      return r.json().error.code === 'PCL_UPSTREAM_UNAVAILABLE' ? r : undefined;
    });
    expect(unavailable.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    const ready = await eventually(async () => ((await get(admin, '/readyz')).status === 503 ? true : undefined));
    expect(ready).toBe(true);
    await Promise.all(ups.map((u) => u.revive()));
  });
});

describe('admin port', () => {
  let up: EchoUpstream;
  let gw: RunningGateway;
  let data: TlsClientOptions;
  let admin: TlsClientOptions;

  beforeAll(async () => {
    up = await startEchoUpstream('m');
    ({ gw, data, admin } = await startInProcess([up.url]));
    await get(data, '/svc/warm');
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });

  it('serves livez, readyz and Prometheus metrics to the admin identity', async () => {
    expect((await get(admin, '/livez')).status).toBe(200);
    expect((await get(admin, '/readyz')).json<{ status: string }>().status).toBe('ready');
    const metrics = await get(admin, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/portcullis_requests_total\{route="main",method="GET",code="200"\} \d+/);
    expect(metrics.body).toContain('portcullis_request_duration_seconds_bucket');
    expect(metrics.body).toContain('portcullis_upstream_duration_seconds_bucket');
    expect(metrics.body).toMatch(/portcullis_circuit_state\{pool="main"\} 0/);
  });

  it('refuses other client certificates and clients without one', async () => {
    const other = await get({ ...admin, cert: pems.other.cert, key: pems.other.key }, '/metrics');
    expect(other.status).toBe(403);
    expect(other.json().error.code).toBe('PCL_ADMIN_FORBIDDEN');
    await expect(get({ port: admin.port, ca: pems.ca }, '/livez')).rejects.toThrow();
  });

  it('is not reachable through the data port', async () => {
    for (const path of ['/metrics', '/readyz', '/livez']) {
      const res = await get(data, path);
      expect(res.status).toBe(404);
      expect(res.json().error.code).toBe('PCL_ROUTE_NOT_FOUND');
    }
    expect(up.seen.some((s) => s.url === '/metrics')).toBe(false);
  });

  it('rate-limits per client identity with 429 and Retry-After, one bucket per client', async () => {
    const client: TlsClientOptions = { ...data, cert: pems.client.cert, key: pems.client.key };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(client, '/limited/x')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await get(client, '/limited/x');
    expect(refused.json().error.code).toBe('PCL_RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another identity has its own bucket.
    expect((await get({ ...data, cert: pems.other.cert, key: pems.other.key }, '/limited/x')).status).toBe(200);
    expect((await get(admin, '/metrics')).body).toMatch(/portcullis_rate_limited_total\{route="limited",scope="client"\} [2-9]/);
  });
});

describe('the gateway process: hot reload and graceful shutdown', () => {
  let up: EchoUpstream;
  let slow: http.Server;
  let slowUrl: string;
  /** Requests the slow upstream saw cut off before it answered. */
  let cutOff = 0;

  beforeAll(async () => {
    up = await startEchoUpstream('r');
    slow = http.createServer((req, res) => {
      if (req.url === '/healthz') return res.end('ok');
      res.on('close', () => {
        if (!res.writableFinished) cutOff++;
      });
      setTimeout(() => res.end('slow done'), 1500);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await up.close();
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });

  it('applies a valid config change on SIGHUP and keeps serving the old config when the new one is invalid', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const path = join(t.root, 'reload.yaml');
    await writeFile(path, configYaml({ port, adminPort, targets: [up.url] }));
    const gw = spawnCli(['gateway', '--config', path]);
    try {
      const data: TlsClientOptions = { port, ca: pems.ca };
      await eventually(() => get(data, '/svc/a'), 20_000);
      expect((await get(data, '/svc/a')).status).toBe(200);
      expect((await get(data, '/new/a')).status).toBe(404);

      const extraRoutes = `  - name: added
    match: { path: { prefix: /new } }
    pool: main
    stripPrefix: true
`;
      await writeFile(path, configYaml({ port, adminPort, targets: [up.url], extraRoutes }));
      gw.child.kill('SIGHUP');
      await eventually(async () => (await get(data, '/new/a')).status === 200, 5000);

      // A broken edit: the errors are printed with their line, and the previous config keeps serving.
      await writeFile(path, configYaml({ port, adminPort, targets: [up.url], extraRoutes: extraRoutes + '  - name: broken\n    match: { path: { prefix: /b } }\n    pool: nope\n' }));
      gw.child.kill('SIGHUP');
      await gw.waitFor(/pool/i);
      await eventually(() => /reload\.yaml:\d+/.test(gw.output()), 5000);
      expect((await get(data, '/new/a')).status).toBe(200);
      expect((await get(data, '/svc/a')).status).toBe(200);
    } finally {
      gw.child.kill('SIGKILL');
      await gw.exited;
    }
  }, 40_000);

  it('cancels the upstream request when the client goes away', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const path = join(t.root, 'abort.yaml');
    await writeFile(path, configYaml({ port, adminPort, targets: [slowUrl] }));
    const gw = await startGateway(await loadConfig(path), { logger: pino({ level: 'silent' }) });
    try {
      const before = cutOff;
      const socket = tls.connect({ port, host: '127.0.0.1', ca: pems.ca, servername: 'localhost' });
      await new Promise((r) => socket.once('secureConnect', r));
      socket.write('GET /svc/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await new Promise((r) => setTimeout(r, 300));
      socket.destroy();
      await eventually(() => cutOff > before, 3000);
    } finally {
      await gw.close();
    }
  });

  it('drains in-flight requests on SIGTERM, then exits 0', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const path = join(t.root, 'drain.yaml');
    await writeFile(path, configYaml({ port, adminPort, targets: [slowUrl] }));
    const gw = spawnCli(['gateway', '--config', path]);
    const data: TlsClientOptions = { port, ca: pems.ca };
    await eventually(() => get(data, '/svc/up'), 20_000);
    const inFlight = get(data, '/svc/slow');
    await new Promise((r) => setTimeout(r, 300));
    gw.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toBe('slow done');
    expect(await gw.exited).toBe(0);
    await expect(rawRequest(data, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', 1000)).rejects.toThrow();
  }, 30_000);
});
