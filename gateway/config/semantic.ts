// Checks across values that the JSON Schema cannot express: references between sections, uniqueness,
// value syntax (CIDRs, URLs, route paths) and combinations that would load fine but behave in a way
// nobody meant (a route that can never be reached, mTLS with no CA to verify against).
import type { PendingIssue } from './errors.js';
import type { RawConfig, RawRoute } from './raw.js';
import { checkRoutePath, closest, parseCidr, parseSize, parseTargetUrl, patternShape } from './values.js';
import type { PathKind } from './values.js';

const INVALID = 'PCL_CONFIG_INVALID' as const;

/** All semantic issues of a schema-valid config. Pure: no I/O. */
export function checkSemantics(raw: RawConfig): PendingIssue[] {
  return [...checkServer(raw), ...checkAdmin(raw), ...checkPools(raw), ...checkRoutes(raw)];
}

function checkServer(raw: RawConfig): PendingIssue[] {
  const issues: PendingIssue[] = [];
  raw.server.trustedProxies.forEach((entry, i) => {
    const cidr = parseCidr(entry);
    if (!cidr.ok) issues.push({ code: INVALID, at: ['server', 'trustedProxies', i], message: `"${entry}" ${cidr.reason}`, hint: cidr.hint });
  });
  const header = parseSize(raw.server.maxHeaderBytes);
  if (!header.ok) {
    issues.push({ code: INVALID, at: ['server', 'maxHeaderBytes'], message: header.reason, hint: header.hint });
  } else if (header.value < 1024 || header.value > 1024 * 1024) {
    issues.push({ code: INVALID, at: ['server', 'maxHeaderBytes'], message: 'must be between 1kb and 1mb', hint: 'the default, 16kb, suits almost every client' });
  }
  return issues;
}

function checkAdmin(raw: RawConfig): PendingIssue[] {
  const issues: PendingIssue[] = [];
  const { admin, server } = raw;
  if (!admin.enabled) return issues;
  if (admin.port !== 0 && admin.port === server.port) {
    issues.push({ code: INVALID, at: ['admin', 'port'], message: `is the same port as server.port (${server.port})`, hint: 'give admin.port (default 9443) and server.port different values' });
  }
  const clientCa = admin.tls?.clientCa ?? server.tls.clientCa;
  if (clientCa.length === 0) {
    issues.push({
      code: INVALID,
      // Without admin.tls the fix belongs in server.tls, so point there.
      at: admin.tls ? ['admin', 'tls'] : ['server', 'tls', 'clientCa'],
      message: 'the admin API always requires client certificates, but no client CA is configured',
      hint: 'add a CA bundle to server.tls.clientCa (or admin.tls.clientCa), or set admin.enabled: false',
    });
  }
  return issues;
}

function checkPools(raw: RawConfig): PendingIssue[] {
  const issues: PendingIssue[] = [];
  for (const [name, pool] of Object.entries(raw.pools)) {
    const seen = new Map<string, number>();
    let https = false;
    let allValid = true;
    pool.targets.forEach((target, i) => {
      const at = ['pools', name, 'targets', i, 'url'];
      const url = parseTargetUrl(target.url);
      if (!url.ok) {
        allValid = false;
        issues.push({ code: INVALID, at, message: `target URL ${url.reason}`, hint: url.hint });
        return;
      }
      if (url.value.startsWith('https:')) https = true;
      const first = seen.get(url.value);
      if (first !== undefined) {
        issues.push({ code: INVALID, at, message: `repeats targets[${first}]`, hint: 'list each target once; use weight to give it a larger share' });
      } else {
        seen.set(url.value, i);
      }
    });
    if (pool.tls && !https && allValid) {
      issues.push({ code: INVALID, at: ['pools', name, 'tls'], message: 'is set, but no target uses https://', hint: 'use https:// target URLs, or remove tls' });
    }
    if (pool.healthCheck.enabled && pool.healthCheck.timeoutMs >= pool.healthCheck.intervalMs) {
      issues.push({ code: INVALID, at: ['pools', name, 'healthCheck', 'timeoutMs'], message: 'must be shorter than intervalMs', hint: 'probes would overlap; lower timeoutMs or raise intervalMs' });
    }
    if (pool.passive.baseEjectionMs > pool.passive.maxEjectionMs) {
      issues.push({ code: INVALID, at: ['pools', name, 'passive', 'maxEjectionMs'], message: 'is below baseEjectionMs', hint: 'raise maxEjectionMs to at least baseEjectionMs' });
    }
  }
  return issues;
}

function pathOf(route: RawRoute): { kind: PathKind; value: string } | undefined {
  const p = route.match.path;
  if (p.exact !== undefined) return { kind: 'exact', value: p.exact };
  if (p.prefix !== undefined) return { kind: 'prefix', value: p.prefix };
  if (p.pattern !== undefined) return { kind: 'pattern', value: p.pattern };
  return undefined;
}

function checkRoutes(raw: RawConfig): PendingIssue[] {
  const issues: PendingIssue[] = [];
  const pools = Object.keys(raw.pools);
  const names = new Map<string, number>();
  const matches: { index: number; key: string; methods: string[] }[] = [];
  let mtlsWithoutCa = false;

  raw.routes.forEach((route, i) => {
    const at = (...rest: (string | number)[]) => ['routes', i, ...rest];
    const firstWithName = names.get(route.name);
    if (firstWithName !== undefined) {
      issues.push({ code: INVALID, at: at('name'), message: `duplicate route name "${route.name}" (also routes[${firstWithName}])`, hint: 'give every route a unique name; metrics and logs are keyed by it' });
    } else {
      names.set(route.name, i);
    }

    if (!(route.pool in raw.pools)) {
      const near = closest(route.pool, pools);
      const hint = near ? `did you mean "${near}"?` : pools.length > 0 ? `use one of: ${pools.join(', ')}` : 'define the pool under `pools:`';
      issues.push({ code: INVALID, at: at('pool'), message: `pool "${route.pool}" is not defined in pools`, hint });
    }

    const path = pathOf(route);
    if (path) {
      const checked = checkRoutePath(path.kind, path.value);
      if (!checked.ok) issues.push({ code: INVALID, at: at('match', 'path', path.kind), message: `path ${checked.reason}`, hint: checked.hint });
      if (route.stripPrefix && path.kind !== 'prefix') {
        issues.push({ code: INVALID, at: at('stripPrefix'), message: `stripPrefix needs a prefix match, but this route uses ${path.kind}`, hint: 'match with path: {prefix: ...}, or remove stripPrefix' });
      }
      const hosts = [...new Set(route.match.hosts.map((h) => h.toLowerCase()))].sort();
      const value = path.kind === 'pattern' ? patternShape(path.value) : path.value;
      matches.push({ index: i, key: `${hosts.join(',')}|${path.kind}|${value}`, methods: route.match.methods });
    }

    const body = parseSize(route.bodyLimit);
    if (!body.ok) issues.push({ code: INVALID, at: at('bodyLimit'), message: body.reason, hint: body.hint });

    if (route.mtls !== 'off' && raw.server.tls.clientCa.length === 0 && !mtlsWithoutCa) {
      mtlsWithoutCa = true;
      issues.push({ code: INVALID, at: at('mtls'), message: `mtls: ${route.mtls} needs a client CA, but server.tls.clientCa is empty`, hint: 'add a CA bundle path to server.tls.clientCa' });
    }
  });

  // Two routes with the same hosts and path and overlapping methods: the second can never be chosen.
  for (let a = 0; a < matches.length; a++) {
    for (let b = a + 1; b < matches.length; b++) {
      const first = matches[a];
      const second = matches[b];
      if (!first || !second || first.key !== second.key) continue;
      const overlap = first.methods.length === 0 || second.methods.length === 0 || first.methods.some((m) => second.methods.includes(m));
      if (!overlap) continue;
      const other = raw.routes[first.index]?.name ?? '';
      issues.push({
        code: INVALID,
        at: ['routes', second.index, 'match'],
        message: `matches the same requests as routes[${first.index}] ("${other}"), so it can never be chosen`,
        hint: 'change hosts, path or methods so the routes differ, or remove one of them',
      });
    }
  }
  return issues;
}
