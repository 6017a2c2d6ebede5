// Which route serves a request. Compiled once per config load into maps so a lookup costs a few map
// probes, never a scan of every route. The path given to `match` is the normalized, decoded path
// from hygiene/path.ts; the router never decodes anything itself.
//
// Precedence, most specific first:
//   1. host: exact host, then `*.suffix` wildcards (longest suffix first), then routes with no hosts;
//   2. within a host group: exact path, then pattern (literal segments beat `:params`, left to
//      right), then prefix (longest first, on segment boundaries);
//   3. the first level (host group + path) that matches the path decides. The method only picks
//      among routes of that same level; when none allows it the answer is 405 with their methods.
//      A less specific route is never used to serve a method the more specific one refused, so a
//      catch-all cannot quietly take over "POST /admin" from a GET-only "/admin" route.

import type { RouteConfig } from '../config/types.js';

export interface RouteMatch {
  readonly ok: true;
  readonly route: RouteConfig;
  /** Values of `:param` segments (decoded, non-empty). Empty for exact and prefix routes. */
  readonly params: Readonly<Record<string, string>>;
  /** Leading path segments to drop before proxying (0 unless the route has stripPrefix). */
  readonly stripSegments: number;
  /** The path to send upstream: the encoded `NormalizedTarget.upstreamPath` minus `stripSegments`. */
  upstreamPath(upstreamPath: string): string;
}

export type RouteMiss =
  | { readonly ok: false; readonly code: 'PCL_ROUTE_NOT_FOUND' }
  | { readonly ok: false; readonly code: 'PCL_METHOD_NOT_ALLOWED'; readonly allow: readonly string[] };

export interface Router {
  /**
   * @param host lower-case host name without port
   * @param path normalized path (`NormalizedTarget.path`)
   * @param method upper-case request method
   */
  match(host: string, path: string, method: string): RouteMatch | RouteMiss;
}

/** A route table the router cannot compile unambiguously. Raised at config load. */
export class RouterConfigError extends Error {
  readonly route: string;
  constructor(route: string, problem: string) {
    super(`route "${route}": ${problem}`);
    this.name = 'RouterConfigError';
    this.route = route;
  }
}

interface Candidate {
  route: RouteConfig;
  order: number;
  stripSegments: number;
  /** Param name per path segment for pattern routes (null = literal). */
  paramNames: readonly (string | null)[] | null;
}

/** Routes that match exactly the same set of paths; the method chooses among them. */
interface Level {
  /** First route (config order) allowing each method; HEAD is added wherever GET is. */
  byMethod: Map<string, Candidate>;
  /** First route with no method restriction. */
  anyMethod: Candidate | null;
  notAllowed: RouteMiss;
}

/**
 * One segment position in the pattern trie. Literal children are tried before the param child, so
 * the first pattern found is the one with literals earliest: the precedence, with no sorting.
 */
interface PatternNode {
  literals: Map<string, PatternNode>;
  param: PatternNode | null;
  /** Routes whose pattern ends here. */
  level: Level | null;
}

interface HostGroup {
  exact: Map<string, Level>;
  /** Pattern trie, or null when the group has no pattern routes. */
  patterns: PatternNode | null;
  /** Prefix levels keyed by the prefix without trailing '/' ('/' for the root). */
  prefixes: Map<string, Level>;
  maxPrefixSegments: number;
}

const NOT_FOUND: RouteMiss = Object.freeze({ ok: false as const, code: 'PCL_ROUTE_NOT_FOUND' as const });
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Compiles the route table. Throws `RouterConfigError` for paths it cannot interpret.
 *
 * @example
 * const router = compileRouter(config.routes);
 * const m = router.match('api.example.com', target.path, req.method);
 * if (!m.ok) throw new GatewayError(m.code, m.code === 'PCL_METHOD_NOT_ALLOWED' ? { allow: m.allow.join(', ') } : undefined);
 * const upstreamPath = m.upstreamPath(target.upstreamPath); // '/api/a%20b' -> '/a%20b' with stripPrefix
 */
export function compileRouter(routes: readonly RouteConfig[]): Router {
  const byHost = new Map<string, RouteConfig[]>();
  const byWildcard = new Map<string, RouteConfig[]>();
  const anyHost: RouteConfig[] = [];
  const order = new Map<RouteConfig, number>();
  routes.forEach((route, index) => {
    order.set(route, index);
    validatePath(route);
    if (route.hosts.length === 0) anyHost.push(route);
    for (const rawHost of new Set(route.hosts.map((h) => h.toLowerCase()))) {
      if (rawHost.startsWith('*.')) {
        if (rawHost.length < 3 || rawHost.indexOf('*', 1) >= 0) throw new RouterConfigError(route.name, `bad wildcard host "${rawHost}"`);
        push(byWildcard, rawHost.slice(1), route); // keep the leading '.', e.g. ".example.com"
      } else {
        if (rawHost === '' || rawHost.includes('*') || rawHost.includes(':')) {
          throw new RouterConfigError(route.name, `bad host "${rawHost}" (lower-case name, no port; wildcards as *.example.com)`);
        }
        push(byHost, rawHost, route);
      }
    }
  });

  const compile = (list: RouteConfig[]): HostGroup => compileGroup(list, order);
  return new CompiledRouter(
    new Map([...byHost].map(([h, list]) => [h, compile(list)])),
    new Map([...byWildcard].map(([s, list]) => [s, compile(list)])),
    anyHost.length > 0 ? compile(anyHost) : null,
  );
}

/**
 * Drops the first `segments` segments of an (encoded) upstream path; `/api/a%20b` minus 1 is
 * `/a%20b`, and `/api` minus 1 is `/`. Segment counts are the same in the decoded and encoded
 * forms because hygiene refuses encoded '/', so stripping by segments cannot cut inside an escape.
 */
export function stripSegments(upstreamPath: string, segments: number): string {
  let cut = 0;
  for (let s = 0; s < segments; s++) {
    cut = upstreamPath.indexOf('/', cut + 1);
    if (cut < 0) return '/';
  }
  return cut === 0 ? upstreamPath : upstreamPath.slice(cut);
}

class CompiledRouter implements Router {
  readonly #hosts: Map<string, HostGroup>;
  readonly #wildcards: Map<string, HostGroup>;
  readonly #anyHost: HostGroup | null;

  constructor(hosts: Map<string, HostGroup>, wildcards: Map<string, HostGroup>, anyHost: HostGroup | null) {
    this.#hosts = hosts;
    this.#wildcards = wildcards;
    this.#anyHost = anyHost;
  }

  match(host: string, path: string, method: string): RouteMatch | RouteMiss {
    const exactGroup = this.#hosts.get(host);
    if (exactGroup !== undefined) {
      const r = matchGroup(exactGroup, path, method);
      if (r !== null) return r;
    }
    if (this.#wildcards.size > 0) {
      // Suffixes from longest to shortest; dot > 0 guarantees at least one label before the suffix.
      for (let dot = host.indexOf('.'); dot > 0; dot = host.indexOf('.', dot + 1)) {
        const group = this.#wildcards.get(host.slice(dot));
        if (group === undefined) continue;
        const r = matchGroup(group, path, method);
        if (r !== null) return r;
      }
    }
    if (this.#anyHost !== null) {
      const r = matchGroup(this.#anyHost, path, method);
      if (r !== null) return r;
    }
    return NOT_FOUND;
  }
}

/** The decision of the most specific level of this host group matching `path`, or null if none does. */
function matchGroup(group: HostGroup, path: string, method: string): RouteMatch | RouteMiss | null {
  const exact = group.exact.get(path);
  if (exact !== undefined) return decide(exact, method, path);

  if (group.patterns !== null) {
    const level = matchPattern(group.patterns, path, 1);
    if (level !== null) return decide(level, method, path);
  }

  if (group.prefixes.size > 0) {
    // Longest candidate first: the path cut at each '/' boundary, but no deeper than the longest prefix.
    let end = group.maxPrefixSegments === 0 ? 0 : path.length;
    let seen = 0;
    for (let k = path.indexOf('/', 1); end > 0 && k >= 0; k = path.indexOf('/', k + 1)) {
      if (++seen === group.maxPrefixSegments) {
        end = k;
        break;
      }
    }
    while (end > 0) {
      const level = group.prefixes.get(end === path.length ? path : path.slice(0, end));
      if (level !== undefined) return decide(level, method, path);
      end = path.lastIndexOf('/', end - 1);
    }
    const root = group.prefixes.get('/');
    if (root !== undefined) return decide(root, method, path);
  }
  return null;
}

function decide(level: Level, method: string, path: string): RouteMatch | RouteMiss {
  const named = level.byMethod.get(method);
  const any = level.anyMethod;
  const chosen = named === undefined ? any : any === null || named.order < any.order ? named : any;
  if (chosen === null) return level.notAllowed;
  return new Matched(chosen.route, chosen.paramNames === null ? NO_PARAMS : extractParams(chosen.paramNames, path), chosen.stripSegments);
}

// A class rather than an object literal with a function, so a match carries no per-request closure.
class Matched implements RouteMatch {
  readonly ok = true as const;
  readonly route: RouteConfig;
  readonly params: Readonly<Record<string, string>>;
  readonly stripSegments: number;

  constructor(route: RouteConfig, params: Readonly<Record<string, string>>, strip: number) {
    this.route = route;
    this.params = params;
    this.stripSegments = strip;
  }

  upstreamPath(upstreamPath: string): string {
    return this.stripSegments === 0 ? upstreamPath : stripSegments(upstreamPath, this.stripSegments);
  }
}

function countSlashes(path: string): number {
  let n = 0;
  for (let k = path.indexOf('/'); k >= 0; k = path.indexOf('/', k + 1)) n++;
  return n;
}

// Depth-first, literal before param; backtracks only where the route table itself has both a
// literal and a param at the same position, so the work is bounded by the table, not the request.
function matchPattern(node: PatternNode, path: string, pos: number): Level | null {
  let next = path.indexOf('/', pos);
  if (next < 0) next = path.length;
  const last = next === path.length;
  if (node.literals.size > 0) {
    const child = node.literals.get(path.slice(pos, next));
    if (child !== undefined) {
      const found = last ? child.level : matchPattern(child, path, next + 1);
      if (found !== null) return found;
    }
  }
  // A :param is exactly one non-empty segment.
  if (node.param !== null && next > pos) {
    const found = last ? node.param.level : matchPattern(node.param, path, next + 1);
    if (found !== null) return found;
  }
  return null;
}

function extractParams(names: readonly (string | null)[], path: string): Record<string, string> {
  const params = Object.create(null) as Record<string, string>;
  let pos = 1;
  for (const name of names) {
    let next = path.indexOf('/', pos);
    if (next < 0) next = path.length;
    if (name !== null) params[name] = path.slice(pos, next);
    pos = next + 1;
  }
  return params;
}

function validatePath(route: RouteConfig): void {
  const value = route.path.value;
  if (!value.startsWith('/')) throw new RouterConfigError(route.name, `path "${value}" must start with "/"`);
  if (route.path.kind === 'pattern') {
    const names = new Set<string>();
    for (const seg of value.slice(1).split('/')) {
      if (!seg.startsWith(':')) continue;
      const name = seg.slice(1);
      if (name === '') throw new RouterConfigError(route.name, `pattern "${value}" has an unnamed ":" segment`);
      if (names.has(name)) throw new RouterConfigError(route.name, `pattern "${value}" repeats ":${name}"`);
      names.add(name);
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

// '/api/' and '/api' are the same prefix: both match '/api' and '/api/x' on segment boundaries.
function prefixKey(value: string): string {
  let end = value.length;
  while (end > 1 && value.charCodeAt(end - 1) === 0x2f) end--;
  return value.slice(0, end);
}

function segmentCount(prefix: string): number {
  return prefix === '/' ? 0 : countSlashes(prefix);
}

function compileGroup(routes: RouteConfig[], order: Map<RouteConfig, number>): HostGroup {
  const exact = new Map<string, RouteConfig[]>();
  const prefixes = new Map<string, RouteConfig[]>();
  const patterns = new Map<string, { segments: (string | null)[]; routes: RouteConfig[] }>();
  for (const route of routes) {
    const { kind, value } = route.path;
    if (kind === 'exact') push(exact, value, route);
    else if (kind === 'prefix') push(prefixes, prefixKey(value), route);
    else {
      const segments = value.slice(1).split('/').map((s) => (s.startsWith(':') ? null : s));
      // Same shape (literals and param positions) means the same set of paths: one level.
      const shape = segments.map((s) => (s === null ? ':' : s)).join('/');
      const entry = patterns.get(shape);
      if (entry === undefined) patterns.set(shape, { segments, routes: [route] });
      else entry.routes.push(route);
    }
  }

  const candidate = (route: RouteConfig, stripSegmentsCount: number, names: (string | null)[] | null): Candidate => ({
    route,
    order: order.get(route) as number,
    stripSegments: route.stripPrefix ? stripSegmentsCount : 0,
    paramNames: names,
  });

  const group: HostGroup = { exact: new Map(), patterns: null, prefixes: new Map(), maxPrefixSegments: 0 };
  for (const [path, list] of exact) {
    group.exact.set(path, buildLevel(list.map((r) => candidate(r, countSlashes(path) - (path.endsWith('/') ? 1 : 0), null))));
  }
  for (const [key, list] of prefixes) {
    const segs = segmentCount(key);
    group.maxPrefixSegments = Math.max(group.maxPrefixSegments, segs);
    group.prefixes.set(key, buildLevel(list.map((r) => candidate(r, segs, null))));
  }
  for (const { segments, routes: list } of patterns.values()) {
    group.patterns ??= { literals: new Map(), param: null, level: null };
    let node = group.patterns;
    for (const literal of segments) {
      if (literal === null) {
        node.param ??= { literals: new Map(), param: null, level: null };
        node = node.param;
      } else {
        let child = node.literals.get(literal);
        if (child === undefined) {
          child = { literals: new Map(), param: null, level: null };
          node.literals.set(literal, child);
        }
        node = child;
      }
    }
    node.level = buildLevel(
      list.map((r) => {
        const names = r.path.value.slice(1).split('/').map((seg) => (seg.startsWith(':') ? seg.slice(1) : null));
        return candidate(r, segments.length, names);
      }),
    );
  }
  return group;
}

function buildLevel(candidates: Candidate[]): Level {
  candidates.sort((a, b) => a.order - b.order);
  const byMethod = new Map<string, Candidate>();
  let anyMethod: Candidate | null = null;
  const allow = new Set<string>();
  for (const c of candidates) {
    if (c.route.methods.length === 0) {
      anyMethod ??= c;
      continue;
    }
    for (const m of c.route.methods) {
      const method = m.toUpperCase();
      if (!byMethod.has(method)) byMethod.set(method, c);
      allow.add(method);
      // HEAD is GET without a body (RFC 9110 section 9.3.2): wherever GET is served, so is HEAD.
      if (method === 'GET') {
        if (!byMethod.has('HEAD')) byMethod.set('HEAD', c);
        allow.add('HEAD');
      }
    }
  }
  const notAllowed: RouteMiss = Object.freeze({
    ok: false as const,
    code: 'PCL_METHOD_NOT_ALLOWED' as const,
    allow: Object.freeze([...allow].sort()),
  });
  return { byMethod, anyMethod, notAllowed };
}
