// RawConfig (validated, defaults filled) -> GatewayConfig: resolve relative paths against the config
// file's directory, read certificates, CA bundles and secret references, and convert units. File and
// secret problems become issues pointing at the key that referenced them; contents never appear.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { ConfigPath, PendingIssue } from './errors.js';
import type { RawConfig, RawPool, RawRateLimitRule, RawRoute, RawSecretRef } from './raw.js';
import type { GatewayConfig, PathMatch, PoolConfig, RateLimitRule, RouteConfig, TlsMaterial, UpstreamTlsConfig } from './types.js';
import { parseCidr, parseSize, parseTargetUrl } from './values.js';

/** Environment variables, as `process.env` holds them. */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/** No PEM file is this large; the limit stops `{file: /dev/zero}` or a log file from eating memory. */
const MAX_PEM_BYTES = 4 * 1024 * 1024;

const CERT_MARKER = '-----BEGIN CERTIFICATE-----';
const KEY_MARKER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

export interface ResolveContext {
  /** Absolute path of the config file. */
  sourcePath: string;
  /** Directory relative paths resolve against. */
  baseDir: string;
  env: EnvMap;
}

export interface ResolveResult {
  config?: GatewayConfig;
  issues: PendingIssue[];
  /** Absolute paths of every file the config referenced, read or not, for the watcher. */
  files: string[];
}

/** Reads referenced files and builds the typed config. `config` is set only when `issues` is empty. */
export async function resolveConfig(raw: RawConfig, ctx: ResolveContext): Promise<ResolveResult> {
  const reader = new MaterialReader(ctx);
  const abs = (p: string) => resolvePath(ctx.baseDir, p);

  const serverTls = raw.server.tls;
  const serverCert = await reader.cert(serverTls.cert, ['server', 'tls', 'cert']);
  const serverKey = await reader.key(serverTls.key, ['server', 'tls', 'key']);
  const serverCa = await reader.caList(serverTls.clientCa, ['server', 'tls', 'clientCa']);

  let adminTls: GatewayConfig['admin']['tls'];
  if (raw.admin.tls) {
    const t = raw.admin.tls;
    const cert = await reader.cert(t.cert, ['admin', 'tls', 'cert']);
    const key = await reader.key(t.key, ['admin', 'tls', 'key']);
    const ca = t.clientCa ? await reader.caList(t.clientCa, ['admin', 'tls', 'clientCa']) : serverCa;
    adminTls = { ...material(cert, key), clientCa: ca.pem, clientCaSources: ca.sources };
  } else {
    adminTls = { ...material(serverCert, serverKey), clientCa: serverCa.pem, clientCaSources: serverCa.sources };
  }

  const pools: Record<string, PoolConfig> = {};
  for (const [name, pool] of Object.entries(raw.pools)) {
    pools[name] = await resolvePool(name, pool, reader);
  }

  const config: GatewayConfig = {
    version: 1,
    sourcePath: ctx.sourcePath,
    dataDir: abs(raw.dataDir),
    server: {
      host: raw.server.host,
      port: raw.server.port,
      tls: { ...material(serverCert, serverKey), clientCa: serverCa.pem, clientCaSources: serverCa.sources, minVersion: serverTls.minVersion },
      maxHeaderBytes: bytes(raw.server.maxHeaderBytes),
      requestTimeoutMs: raw.server.requestTimeoutMs,
      keepAliveTimeoutMs: raw.server.keepAliveTimeoutMs,
      trustedProxies: raw.server.trustedProxies.map(normalizeCidr),
      paths: { ...raw.server.paths },
      requireSniHostMatch: raw.server.requireSniHostMatch,
      drainTimeoutMs: raw.server.drainTimeoutMs,
    },
    admin: {
      enabled: raw.admin.enabled,
      host: raw.admin.host,
      port: raw.admin.port,
      tls: adminTls,
      allowedIdentities: [...raw.admin.allowedIdentities],
    },
    pki: { dir: abs(raw.pki.dir), trustDomain: raw.pki.trustDomain.toLowerCase(), revocationRefreshMs: raw.pki.revocationRefreshMs },
    logging: { level: raw.logging.level, accessLog: raw.logging.accessLog },
    pools,
    routes: raw.routes.map(resolveRoute),
  };
  const issues = reader.issues;
  return issues.length > 0 ? { issues, files: reader.files } : { config, issues, files: reader.files };
}

interface Read {
  text: string;
  source: string;
}

function material(cert: Read, key: Read): TlsMaterial {
  return { cert: cert.text, key: key.text, sources: { cert: cert.source, key: key.source } };
}

async function resolvePool(name: string, pool: RawPool, reader: MaterialReader): Promise<PoolConfig> {
  let tls: UpstreamTlsConfig | undefined;
  if (pool.tls) {
    const at = ['pools', name, 'tls'];
    const t = pool.tls;
    tls = { rejectUnauthorized: t.rejectUnauthorized };
    if (t.ca !== undefined) tls.ca = (await reader.caList([t.ca], [...at, 'ca'], false)).pem.join('\n');
    if (t.cert !== undefined) tls.cert = (await reader.cert(t.cert, [...at, 'cert'])).text;
    if (t.key !== undefined) tls.key = (await reader.key(t.key, [...at, 'key'])).text;
    if (t.servername !== undefined) tls.servername = t.servername.toLowerCase();
  }
  const resolved: PoolConfig = {
    name,
    targets: pool.targets.map((t) => {
      const url = parseTargetUrl(t.url);
      return { url: url.ok ? url.value : t.url, weight: t.weight };
    }),
    healthCheck: { ...pool.healthCheck },
    passive: { ...pool.passive },
    circuitBreaker: { ...pool.circuitBreaker },
    connectionsPerTarget: pool.connectionsPerTarget,
    keepAliveTimeoutMs: pool.keepAliveTimeoutMs,
    required: pool.required,
  };
  if (tls) resolved.tls = tls;
  return resolved;
}

function resolveRoute(route: RawRoute): RouteConfig {
  const p = route.match.path;
  const path: PathMatch =
    p.exact !== undefined ? { kind: 'exact', value: p.exact }
    : p.prefix !== undefined ? { kind: 'prefix', value: p.prefix }
    : { kind: 'pattern', value: p.pattern ?? '/' };
  const rateLimit: RouteConfig['rateLimit'] = {};
  if (route.rateLimit.route) rateLimit.route = rule(route.rateLimit.route);
  if (route.rateLimit.client) rateLimit.client = rule(route.rateLimit.client);
  return {
    name: route.name,
    hosts: [...new Set(route.match.hosts.map((h) => h.toLowerCase()))],
    path,
    methods: route.match.methods.map((m) => m.toUpperCase()),
    pool: route.pool,
    stripPrefix: route.stripPrefix,
    mtls: route.mtls,
    timeouts: { ...route.timeouts },
    bodyLimitBytes: bytes(route.bodyLimit),
    retries: route.retries,
    rateLimit,
  };
}

/** A bucket smaller than one second of refill would throttle steady traffic at its configured rate. */
function rule(r: RawRateLimitRule): RateLimitRule {
  return { ratePerSec: r.ratePerSec, burst: r.burst ?? Math.max(1, Math.ceil(r.ratePerSec)) };
}

function bytes(size: number | string): number {
  const parsed = parseSize(size);
  return parsed.ok ? parsed.value : 0;
}

function normalizeCidr(entry: string): string {
  const c = parseCidr(entry);
  return c.ok ? `${c.value.address}/${c.value.prefix}` : entry;
}

/** Reads PEM material, collecting issues and the list of files touched. */
class MaterialReader {
  readonly issues: PendingIssue[] = [];
  readonly files: string[] = [];

  constructor(private readonly ctx: ResolveContext) {}

  async cert(path: string, at: ConfigPath): Promise<Read> {
    const abs = this.track(path);
    const text = await this.read(abs, at, 'certificate');
    if (text !== undefined && !text.includes(CERT_MARKER)) {
      this.issues.push({ code: 'PCL_CONFIG_INVALID', at, message: `${abs} does not contain a PEM certificate`, hint: `point at a PEM file that starts with ${CERT_MARKER}` });
    }
    return { text: text ?? '', source: abs };
  }

  async caList(paths: readonly string[], at: ConfigPath, indexed = true): Promise<{ pem: string[]; sources: string[] }> {
    const pem: string[] = [];
    const sources: string[] = [];
    for (const [i, p] of paths.entries()) {
      const read = await this.cert(p, indexed ? [...at, i] : at);
      pem.push(read.text);
      sources.push(read.source);
    }
    return { pem, sources };
  }

  async key(ref: RawSecretRef, at: ConfigPath): Promise<Read> {
    if (ref.env !== undefined) {
      const source = `env:${ref.env}`;
      const value = this.ctx.env[ref.env];
      if (value === undefined || value === '') {
        this.issues.push({ code: 'PCL_CONFIG_SECRET', at: [...at, 'env'], message: `environment variable ${ref.env} is not set`, hint: `set ${ref.env} to the PEM private key, or reference a key file with {file: ...}` });
        return { text: '', source };
      }
      this.checkKey(value, at, `environment variable ${ref.env}`, true);
      return { text: value, source };
    }
    const abs = this.track(ref.file);
    const text = await this.read(abs, [...at, 'file'], 'private key');
    if (text !== undefined) this.checkKey(text, [...at, 'file'], abs, false);
    return { text: text ?? '', source: abs };
  }

  private checkKey(text: string, at: ConfigPath, what: string, fromEnv: boolean): void {
    if (KEY_MARKER.test(text)) return;
    // Only the shape of the value is described, never the value itself.
    const looksLikePath = fromEnv && !text.includes('\n') && (text.startsWith('/') || text.startsWith('.'));
    this.issues.push({
      code: 'PCL_CONFIG_SECRET',
      at,
      message: `${what} does not contain a PEM private key`,
      hint: looksLikePath ? 'the variable seems to hold a file path: reference it with {file: ...} instead' : 'provide a PEM key that starts with -----BEGIN ... PRIVATE KEY-----',
    });
  }

  private track(path: string): string {
    const abs = isAbsolute(path) ? path : resolvePath(this.ctx.baseDir, path);
    if (!this.files.includes(abs)) this.files.push(abs);
    return abs;
  }

  private async read(abs: string, at: ConfigPath, what: string): Promise<string | undefined> {
    const relHint = `relative paths resolve against ${this.ctx.baseDir}`;
    try {
      const info = await stat(abs);
      if (!info.isFile()) {
        this.issues.push({ code: 'PCL_CONFIG_UNREADABLE', at, message: `${what} ${abs} is not a regular file`, hint: `point at the ${what} file itself` });
        return undefined;
      }
      if (info.size > MAX_PEM_BYTES) {
        this.issues.push({ code: 'PCL_CONFIG_UNREADABLE', at, message: `${what} ${abs} is larger than ${MAX_PEM_BYTES / 1024 / 1024} MiB`, hint: `point at the PEM ${what} file` });
        return undefined;
      }
      return await readFile(abs, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? 'error'})`;
      const hint = code === 'EACCES' ? 'give the gateway user read access to the file' : `check the path; ${relHint}`;
      this.issues.push({ code: 'PCL_CONFIG_UNREADABLE', at, message: `${what} file ${abs} ${reason}`, hint });
      return undefined;
    }
  }
}
