import { describe, expect, it } from 'vitest';
import type { PathMatch, RouteConfig } from '../gateway/config/types.js';
import { normalizeRequestTarget } from '../gateway/hygiene/path.js';
import { RouterConfigError, compileRouter, stripSegments, type RouteMatch, type RouteMiss } from '../gateway/routing/router.js';

function route(name: string, path: PathMatch, opts: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name,
    hosts: [],
    path,
    methods: [],
    pool: 'p',
    stripPrefix: false,
    mtls: 'off',
    timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 },
    bodyLimitBytes: 1024,
    retries: 0,
    rateLimit: {},
    ...opts,
  };
}
const exact = (value: string): PathMatch => ({ kind: 'exact', value });
const prefix = (value: string): PathMatch => ({ kind: 'prefix', value });
const pattern = (value: string): PathMatch => ({ kind: 'pattern', value });

/** The route name a request lands on, or the miss code. */
function nameOf(m: RouteMatch | RouteMiss): string {
  return m.ok ? m.route.name : m.code;
}

describe('path precedence', () => {
  const router = compileRouter([
    route('prefix-users', prefix('/users')),
    route('pattern-user', pattern('/users/:id')),
    route('exact-me', exact('/users/me')),
    route('api', prefix('/api')),
    route('api-v1', prefix('/api/v1/')),
    route('root', prefix('/')),
  ]);

  it.each([
    ['/users/me', 'exact-me'],
    ['/users/42', 'pattern-user'],
    ['/users/42/posts', 'prefix-users'],
    ['/users', 'prefix-users'],
    ['/users/', 'prefix-users'], // the pattern needs a non-empty segment
    ['/usersx', 'root'], // prefixes match on segment boundaries only
    ['/api', 'api'],
    ['/api/', 'api'],
    ['/api/v1', 'api-v1'],
    ['/api/v1/x/y', 'api-v1'],
    ['/api/v10', 'api'],
    ['/apix', 'root'],
    ['/', 'root'],
    ['/anything/else', 'root'],
  ])('%s → %s', (path, expected) => {
    expect(nameOf(router.match('h', path, 'GET'))).toBe(expected);
  });

  it('misses without a catch-all', () => {
    const r = compileRouter([route('api', prefix('/api')), route('e', exact('/e'))]);
    expect(r.match('h', '/apix', 'GET')).toEqual({ ok: false, code: 'PCL_ROUTE_NOT_FOUND' });
    expect(r.match('h', '/e/', 'GET')).toEqual({ ok: false, code: 'PCL_ROUTE_NOT_FOUND' });
    expect(r.match('h', '/', 'GET')).toEqual({ ok: false, code: 'PCL_ROUTE_NOT_FOUND' });
  });
});

describe('patterns', () => {
  it('binds each :param to exactly one non-empty decoded segment', () => {
    const r = compileRouter([route('repo', pattern('/orgs/:org/repos/:repo'))]);
    const m = r.match('h', '/orgs/acme/repos/a b', 'GET');
    expect(m.ok && { ...m.params }).toEqual({ org: 'acme', repo: 'a b' });
    for (const miss of ['/orgs/acme/repos', '/orgs//repos/x', '/orgs/acme/repos/x/y', '/orgs/acme/repo/x']) {
      expect(nameOf(r.match('h', miss, 'GET')), miss).toBe('PCL_ROUTE_NOT_FOUND');
    }
  });

  it('prefers literal segments over params, left to right, whatever the config order', () => {
    const r = compileRouter([
      route('any-any', pattern('/:a/:b')),
      route('kind-me', pattern('/:kind/me')),
      route('users-id', pattern('/users/:id')),
    ]);
    expect(nameOf(r.match('h', '/users/me', 'GET'))).toBe('users-id');
    expect(nameOf(r.match('h', '/teams/me', 'GET'))).toBe('kind-me');
    expect(nameOf(r.match('h', '/teams/x', 'GET'))).toBe('any-any');
  });

  it('backtracks when the literal branch dead-ends further on', () => {
    const r = compileRouter([route('a-x-c', pattern('/a/:x/c')), route('y-b-d', pattern('/:y/b/d'))]);
    const m = r.match('h', '/a/b/d', 'GET');
    expect(m.ok && [m.route.name, { ...m.params }]).toEqual(['y-b-d', { y: 'a' }]);
    expect(nameOf(r.match('h', '/a/b/c', 'GET'))).toBe('a-x-c');
  });

  it('gives exact and prefix routes an empty params object', () => {
    const m = compileRouter([route('e', exact('/e'))]).match('h', '/e', 'GET');
    expect(m.ok && Object.keys(m.params)).toEqual([]);
  });
});

describe('hosts', () => {
  const router = compileRouter([
    route('any', prefix('/')),
    route('wild', prefix('/'), { hosts: ['*.example.com'] }),
    route('wild-api', prefix('/'), { hosts: ['*.api.example.com'] }),
    route('exact', prefix('/'), { hosts: ['www.example.com', 'Other.Example'] }),
  ]);

  it.each([
    ['www.example.com', 'exact'],
    ['other.example', 'exact'],
    ['a.example.com', 'wild'],
    ['a.b.example.com', 'wild'],
    ['x.api.example.com', 'wild-api'],
    ['api.example.com', 'wild'],
    ['example.com', 'any'], // a wildcard needs at least one label
    ['evilexample.com', 'any'],
    ['example.com.evil', 'any'],
    ['', 'any'],
  ])('%s → %s', (host, expected) => {
    expect(nameOf(router.match(host, '/x', 'GET'))).toBe(expected);
  });

  it('falls through to host-less routes when the host group has no path match', () => {
    const r = compileRouter([route('host-a', exact('/a'), { hosts: ['h.example'] }), route('any-b', exact('/b'))]);
    expect(nameOf(r.match('h.example', '/a', 'GET'))).toBe('host-a');
    expect(nameOf(r.match('h.example', '/b', 'GET'))).toBe('any-b');
    expect(nameOf(r.match('other.example', '/a', 'GET'))).toBe('PCL_ROUTE_NOT_FOUND');
  });

  it('lets a host-specific match beat a more specific host-less path', () => {
    const r = compileRouter([route('any-exact', exact('/x')), route('host-root', prefix('/'), { hosts: ['h.example'] })]);
    expect(nameOf(r.match('h.example', '/x', 'GET'))).toBe('host-root');
  });
});

describe('methods', () => {
  const router = compileRouter([
    route('items-read', exact('/items'), { methods: ['GET'] }),
    route('items-write', exact('/items'), { methods: ['POST', 'PUT'] }),
    route('admin-read', exact('/admin'), { methods: ['GET'] }),
    route('catch-all', prefix('/')),
  ]);

  it('picks among the routes of the matching level by method', () => {
    expect(nameOf(router.match('h', '/items', 'GET'))).toBe('items-read');
    expect(nameOf(router.match('h', '/items', 'POST'))).toBe('items-write');
    expect(nameOf(router.match('h', '/items', 'HEAD'))).toBe('items-read');
  });

  it('answers 405 with the union of allowed methods (HEAD wherever GET)', () => {
    expect(router.match('h', '/items', 'DELETE')).toEqual({
      ok: false,
      code: 'PCL_METHOD_NOT_ALLOWED',
      allow: ['GET', 'HEAD', 'POST', 'PUT'],
    });
  });

  it('never lets a less specific route serve a method the more specific one refused', () => {
    expect(router.match('h', '/admin', 'POST')).toEqual({ ok: false, code: 'PCL_METHOD_NOT_ALLOWED', allow: ['GET', 'HEAD'] });
    expect(nameOf(router.match('h', '/admin/x', 'POST'))).toBe('catch-all');
  });

  it('treats an empty method list as any method, in config order', () => {
    const r = compileRouter([route('any', exact('/a')), route('get', exact('/a'), { methods: ['GET'] })]);
    expect(nameOf(r.match('h', '/a', 'GET'))).toBe('any');
    const r2 = compileRouter([route('get', exact('/a'), { methods: ['GET'] }), route('any', exact('/a'))]);
    expect(nameOf(r2.match('h', '/a', 'GET'))).toBe('get');
    expect(nameOf(r2.match('h', '/a', 'PATCH'))).toBe('any');
  });

  it('keeps the first route when two on one level allow the same method', () => {
    const r = compileRouter([route('first', prefix('/p'), { methods: ['GET'] }), route('second', prefix('/p/'), { methods: ['GET'] })]);
    expect(nameOf(r.match('h', '/p/x', 'GET'))).toBe('first');
  });
});

describe('stripPrefix', () => {
  const rules = { allowDoubleSlash: false, allowSemicolon: false, maxLength: 4096 };
  const router = compileRouter([
    route('api', prefix('/api'), { stripPrefix: true }),
    route('deep', prefix('/svc/v2/'), { stripPrefix: true }),
    route('keep', prefix('/keep')),
    route('health', exact('/health/live'), { stripPrefix: true }),
    route('root', prefix('/'), { stripPrefix: true }),
  ]);

  /** What the upstream receives for a raw request target. */
  function sent(raw: string): string {
    const t = normalizeRequestTarget(raw, rules);
    if (!t.ok) throw new Error(t.code);
    const m = router.match('h', t.path, 'GET');
    if (!m.ok) throw new Error(m.code);
    return m.upstreamPath(t.upstreamPath) + t.query;
  }

  it.each([
    ['/api/a%20b', '/a%20b'],
    ['/api', '/'],
    ['/api/', '/'],
    ['/api/x/y?q=1', '/x/y?q=1'],
    ['/api/caf%c3%a9/%25', '/caf%C3%A9/%25'],
    ['/svc/v2/items', '/items'],
    ['/svc/v2', '/'],
    ['/keep/a%20b', '/keep/a%20b'],
    ['/health/live', '/'],
    ['/other/a', '/other/a'], // stripping the root prefix strips nothing
  ])('%s is sent as %s', (raw, expected) => {
    expect(sent(raw)).toBe(expected);
  });

  it('reports how many segments it strips', () => {
    const m = router.match('h', '/svc/v2/x', 'GET');
    expect(m.ok && m.stripSegments).toBe(2);
  });

  it('strips segment-wise, so decoding what is sent equals the decoded path minus the prefix', () => {
    for (const raw of ['/api/%2e%2e%2e/x', '/api/a%3Fb', '/api/%E6%97%A5/%20', '/api/a:b@c/~']) {
      const t = normalizeRequestTarget(raw, rules);
      if (!t.ok) throw new Error(raw);
      const m = router.match('h', t.path, 'GET');
      if (!m.ok) throw new Error(raw);
      expect(decodeURIComponent(m.upstreamPath(t.upstreamPath))).toBe(t.path.slice('/api'.length));
    }
  });

  it('stripSegments handles the edges', () => {
    expect(stripSegments('/a/b/c', 0)).toBe('/a/b/c');
    expect(stripSegments('/a/b/c', 2)).toBe('/c');
    expect(stripSegments('/a/b/c', 3)).toBe('/');
    expect(stripSegments('/a//c', 1)).toBe('//c');
  });
});

describe('compile-time errors', () => {
  it.each([
    ['no leading slash', route('r', exact('api'))],
    ['unnamed param', route('r', pattern('/a/:'))],
    ['repeated param', route('r', pattern('/:id/x/:id'))],
    ['bare wildcard', route('r', prefix('/'), { hosts: ['*.'] })],
    ['inner wildcard', route('r', prefix('/'), { hosts: ['a.*.example'] })],
    ['host with port', route('r', prefix('/'), { hosts: ['example.com:443'] })],
    ['empty host', route('r', prefix('/'), { hosts: [''] })],
  ])('%s', (_label, bad) => {
    expect(() => compileRouter([bad])).toThrow(RouterConfigError);
  });
});

describe('scale', () => {
  it('resolves exact paths among many routes through the index', () => {
    const routes = Array.from({ length: 5000 }, (_, i) => route(`r${i}`, exact(`/r/${i}`)));
    routes.push(route('last-prefix', prefix('/r')));
    const r = compileRouter(routes);
    expect(nameOf(r.match('h', '/r/4999', 'GET'))).toBe('r4999');
    expect(nameOf(r.match('h', '/r/5000', 'GET'))).toBe('last-prefix');
  });
});
