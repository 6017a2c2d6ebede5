// Loading valid configs: the shipped example, defaults, path resolution, secret references and
// PORTCULLIS_* environment overrides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfigFile } from '../gateway/config/index.js';
import { CERT_PEM, KEY_PEM, MINIMAL_YAML, expectIssue, makeConfigDir } from './fixtures/config/helpers.js';
import type { ConfigDir } from './fixtures/config/helpers.js';

const EXAMPLE = readFileSync(new URL('../portcullis.example.yaml', import.meta.url), 'utf8');
const BILLING_KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcfakebillingkey\n-----END EC PRIVATE KEY-----\n';

let dirs: ConfigDir[] = [];
function dirWith(yaml: string): ConfigDir {
  const d = makeConfigDir(yaml);
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});

describe('portcullis.example.yaml', () => {
  it('loads and yields the typed values it documents', async () => {
    const d = dirWith(EXAMPLE);
    const config = await loadConfig(d.file, { env: { BILLING_CLIENT_KEY_PEM: BILLING_KEY } });

    expect(config.version).toBe(1);
    expect(config.sourcePath).toBe(d.file);
    expect(config.dataDir).toBe(join(d.dir, '.portcullis'));
    expect(config.server).toMatchObject({
      host: '0.0.0.0',
      port: 8443,
      maxHeaderBytes: 16 * 1024,
      requestTimeoutMs: 30000,
      keepAliveTimeoutMs: 5000,
      trustedProxies: ['10.0.0.0/8'],
      paths: { allowDoubleSlash: false, allowSemicolon: false, maxLength: 4096 },
      requireSniHostMatch: true,
      drainTimeoutMs: 10000,
    });
    expect(config.server.tls).toEqual({
      cert: CERT_PEM,
      key: KEY_PEM,
      sources: { cert: join(d.dir, 'pki/gateway.crt'), key: join(d.dir, 'pki/gateway.key') },
      clientCa: [CERT_PEM],
      clientCaSources: [join(d.dir, 'pki/ca.crt')],
      minVersion: 'TLSv1.3',
    });
    // Admin TLS defaults to the server's material.
    expect(config.admin).toMatchObject({ enabled: true, host: '127.0.0.1', port: 9443, allowedIdentities: ['spiffe://portcullis.local/user/admin'] });
    expect(config.admin.tls.sources).toEqual(config.server.tls.sources);
    expect(config.admin.tls.clientCaSources).toEqual(config.server.tls.clientCaSources);
    expect(config.pki).toEqual({ dir: join(d.dir, 'pki'), trustDomain: 'portcullis.local', revocationRefreshMs: 1000 });
    expect(config.logging).toEqual({ level: 'info', accessLog: true });

    expect(Object.keys(config.pools)).toEqual(['demo', 'billing']);
    const demo = config.pools.demo;
    expect(demo?.targets).toEqual([{ url: 'http://127.0.0.1:9001', weight: 1 }, { url: 'http://127.0.0.1:9002', weight: 1 }]);
    expect(demo?.healthCheck).toEqual({ enabled: true, path: '/healthz', intervalMs: 2000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 2 });
    expect(demo?.passive).toEqual({ consecutiveFailures: 3, baseEjectionMs: 5000, maxEjectionMs: 60000 });
    expect(demo?.circuitBreaker).toEqual({ failureThreshold: 20, openMs: 10000, halfOpenRequests: 1, maxConcurrent: 1024 });
    expect(demo?.tls).toBeUndefined();
    const billing = config.pools.billing;
    expect(billing?.tls).toEqual({ ca: CERT_PEM, cert: CERT_PEM, key: BILLING_KEY, servername: 'billing.internal', rejectUnauthorized: true });
    expect(billing?.required).toBe(false);
    expect(billing?.healthCheck.enabled).toBe(false);

    expect(config.routes.map((r) => r.name)).toEqual(['demo-api', 'user-profile', 'billing']);
    const [api, profile, invoices] = config.routes;
    expect(api).toEqual({
      name: 'demo-api',
      hosts: ['localhost', '*.example.com'],
      path: { kind: 'prefix', value: '/api' },
      methods: ['GET', 'POST'],
      pool: 'demo',
      stripPrefix: true,
      mtls: 'optional',
      timeouts: { connectMs: 2000, headersMs: 10000, bodyMs: 30000 },
      bodyLimitBytes: 1024 * 1024,
      retries: 1,
      rateLimit: { route: { ratePerSec: 1000, burst: 2000 }, client: { ratePerSec: 50, burst: 100 } },
    });
    expect(profile?.path).toEqual({ kind: 'pattern', value: '/users/:id' });
    expect(invoices).toMatchObject({ path: { kind: 'exact', value: '/billing/invoices' }, bodyLimitBytes: 10 * 1024 * 1024, retries: 0, mtls: 'required' });
  });

  it('needs the billing key variable it references', async () => {
    const d = dirWith(EXAMPLE);
    const result = await validateConfigFile(d.file, { env: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expectIssue(result.issues, { code: 'PCL_CONFIG_SECRET', path: 'pools.billing.tls.key.env', message: /BILLING_CLIENT_KEY_PEM is not set/ });
  });
});

describe('defaults', () => {
  it('fills every optional value of a minimal file', async () => {
    const d = dirWith(MINIMAL_YAML);
    const config = await loadConfig(d.file, { env: {} });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.tls.minVersion).toBe('TLSv1.3');
    expect(config.server.maxHeaderBytes).toBe(16384);
    expect(config.server.trustedProxies).toEqual([]);
    expect(config.admin).toMatchObject({ enabled: true, host: '127.0.0.1', port: 9443, allowedIdentities: [] });
    expect(config.pki.dir).toBe(join(d.dir, 'pki'));
    const pool = config.pools.demo;
    expect(pool).toMatchObject({ name: 'demo', connectionsPerTarget: 128, keepAliveTimeoutMs: 4000, required: true });
    expect(pool?.healthCheck).toEqual({ enabled: false, path: '/healthz', intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 });
    expect(pool?.passive).toEqual({ consecutiveFailures: 5, baseEjectionMs: 30000, maxEjectionMs: 300000 });
    expect(config.routes[0]).toMatchObject({
      hosts: [],
      methods: [],
      stripPrefix: false,
      mtls: 'off',
      timeouts: { connectMs: 5000, headersMs: 30000, bodyMs: 30000 },
      bodyLimitBytes: 1048576,
      retries: 1,
      rateLimit: {},
    });
  });

  it('turns on health checks when the block is present and derives burst from the rate', async () => {
    const yaml = MINIMAL_YAML.replace('targets: [{ url: "http://127.0.0.1:9001" }]', 'targets: [{ url: "http://127.0.0.1:9001" }]\n    healthCheck: { path: /ready }')
      + '    rateLimit: { client: { ratePerSec: 2.5 } }\n';
    const config = await loadConfig(dirWith(yaml).file, { env: {} });
    expect(config.pools.demo?.healthCheck).toMatchObject({ enabled: true, path: '/ready' });
    expect(config.routes[0]?.rateLimit.client).toEqual({ ratePerSec: 2.5, burst: 3 });
  });

  it('accepts TLSv1.2 only when written, and reads the key from an env var', async () => {
    const yaml = MINIMAL_YAML.replace('key: { file: pki/gateway.key }', 'key: { env: GW_KEY }\n    minVersion: TLSv1.2');
    const config = await loadConfig(dirWith(yaml).file, { env: { GW_KEY: KEY_PEM } });
    expect(config.server.tls.minVersion).toBe('TLSv1.2');
    expect(config.server.tls.key).toBe(KEY_PEM);
    expect(config.server.tls.sources.key).toBe('env:GW_KEY');
  });
});

describe('PORTCULLIS_* environment overrides', () => {
  it('override scalars, nested keys and list items, matching UPPER_SNAKE names', async () => {
    const d = dirWith(MINIMAL_YAML);
    const config = await loadConfig(d.file, {
      env: {
        PORTCULLIS_SERVER__PORT: '9000',
        PORTCULLIS_SERVER__MAX_HEADER_BYTES: '8192',
        PORTCULLIS_SERVER__REQUIRE_SNI_HOST_MATCH: 'false',
        PORTCULLIS_POOLS__DEMO__TARGETS__0__URL: 'http://10.1.2.3:8080',
        PORTCULLIS_ROUTES__0__MTLS: 'required',
        PORTCULLIS_ROUTES__0__MATCH__METHODS: '[GET, HEAD]',
        PORTCULLIS_LOGGING__LEVEL: 'debug',
        PORTCULLIS_DATA_DIR: 'state',
      },
    });
    expect(config.server.port).toBe(9000);
    expect(config.server.maxHeaderBytes).toBe(8192);
    expect(config.server.requireSniHostMatch).toBe(false);
    expect(config.pools.demo?.targets[0]?.url).toBe('http://10.1.2.3:8080');
    expect(config.routes[0]?.mtls).toBe('required');
    expect(config.routes[0]?.methods).toEqual(['GET', 'HEAD']);
    expect(config.logging.level).toBe('debug');
    expect(config.dataDir).toBe(join(d.dir, 'state'));
  });

  it('creates keys the file left out, and new pools', async () => {
    const config = await loadConfig(dirWith(MINIMAL_YAML).file, {
      env: {
        PORTCULLIS_SERVER__PATHS__MAX_LENGTH: '2048',
        PORTCULLIS_SERVER__TRUSTED_PROXIES: '[10.0.0.0/8, "fd00::/8"]',
        PORTCULLIS_POOLS__EXTRA__TARGETS: '[{url: "http://127.0.0.1:7000"}]',
        PORTCULLIS_ROUTES__0__POOL: 'extra',
      },
    });
    expect(config.server.paths.maxLength).toBe(2048);
    expect(config.server.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(config.pools.extra?.targets).toEqual([{ url: 'http://127.0.0.1:7000', weight: 1 }]);
    expect(config.routes[0]?.pool).toBe('extra');
  });

  it('ignore single-segment variables that are not config keys, and empty values', async () => {
    const config = await loadConfig(dirWith(MINIMAL_YAML).file, {
      env: { PORTCULLIS_CONFIG: '/etc/portcullis.yaml', PORTCULLIS_HOME: '/x', PORTCULLIS_SERVER__PORT: '', PORTCULLIS_VERSION: '7' },
    });
    expect(config.server.port).toBe(8443);
    expect(config.version).toBe(1);
  });

  it('are validated, and their problems name the variable instead of a line', async () => {
    const d = dirWith(MINIMAL_YAML);
    const result = await validateConfigFile(d.file, { env: { PORTCULLIS_SERVER__PORT: 'eighty', PORTCULLIS_SERVR__PORT: '1' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const port = expectIssue(result.issues, { code: 'PCL_CONFIG_SCHEMA', path: 'server.port', envVar: 'PORTCULLIS_SERVER__PORT' });
    expect(port.line).toBeUndefined();
    expectIssue(result.issues, { code: 'PCL_CONFIG_ENV', path: '', envVar: 'PORTCULLIS_SERVR__PORT', message: /SERVR/ });
  });

  it('refuse unknown nested keys and out-of-range indexes', async () => {
    const d = dirWith(MINIMAL_YAML);
    const result = await validateConfigFile(d.file, { env: { PORTCULLIS_SERVER__TLS__KEY_PEM: 'x', PORTCULLIS_ROUTES__5__MTLS: 'off' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expectIssue(result.issues, { code: 'PCL_CONFIG_ENV', path: 'server.tls', envVar: 'PORTCULLIS_SERVER__TLS__KEY_PEM' });
    expectIssue(result.issues, { code: 'PCL_CONFIG_ENV', path: 'routes', envVar: 'PORTCULLIS_ROUTES__5__MTLS', message: /past the end/ });
  });

  it('an overridden bad value is attributed to the variable even deep inside a replaced section', async () => {
    const d = dirWith(MINIMAL_YAML);
    const err = await loadConfig(d.file, { env: { PORTCULLIS_POOLS__DEMO: '{targets: [{url: "ftp://x:1"}]}' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expectIssue((err as ConfigError).issues, { code: 'PCL_CONFIG_INVALID', path: 'pools.demo.targets[0].url', envVar: 'PORTCULLIS_POOLS__DEMO' });
  });
});
