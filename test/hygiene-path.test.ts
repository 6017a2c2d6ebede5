import { describe, expect, it } from 'vitest';
import type { PathRules } from '../gateway/config/types.js';
import type { GatewayErrorCode } from '../gateway/errors.js';
import { encodePath, normalizeRequestTarget } from '../gateway/hygiene/path.js';

const RULES: PathRules = { allowDoubleSlash: false, allowSemicolon: false, maxLength: 2048 };

// Each row: a raw request target an attacker (or a confused client) might send, and the one code
// it must be refused with. The comment says what the input is trying.
const MALICIOUS: [string, GatewayErrorCode][] = [
  ['/' + 'a'.repeat(2048), 'PCL_PATH_TOO_LONG'],
  ['', 'PCL_PATH_NOT_ABSOLUTE'],
  ['*', 'PCL_PATH_NOT_ABSOLUTE'], // OPTIONS * form
  ['http://evil.example/admin', 'PCL_PATH_NOT_ABSOLUTE'], // absolute-form
  ['evil.example:443', 'PCL_PATH_NOT_ABSOLUTE'], // authority-form
  ['%2fadmin', 'PCL_PATH_NOT_ABSOLUTE'],
  ['/a#frag', 'PCL_BAD_REQUEST'],
  ['/a?x=1#frag', 'PCL_BAD_REQUEST'],
  ['/a b', 'PCL_BAD_REQUEST'], // raw space splits the request line elsewhere
  ['/%', 'PCL_PATH_INVALID_ENCODING'],
  ['/%4', 'PCL_PATH_INVALID_ENCODING'],
  ['/%zz', 'PCL_PATH_INVALID_ENCODING'],
  ['/a%g0', 'PCL_PATH_INVALID_ENCODING'],
  ['/%%41', 'PCL_PATH_INVALID_ENCODING'],
  ['/%4?x=1', 'PCL_PATH_INVALID_ENCODING'], // escape cut by the query
  ['/%c0%af', 'PCL_PATH_NOT_UTF8'], // overlong '/'
  ['/%e0%80%af', 'PCL_PATH_NOT_UTF8'], // 3-byte overlong '/'
  ['/%c0%ae%c0%ae/etc', 'PCL_PATH_NOT_UTF8'], // overlong '..'
  ['/%ed%a0%80', 'PCL_PATH_NOT_UTF8'], // UTF-16 surrogate
  ['/%80', 'PCL_PATH_NOT_UTF8'], // lone continuation byte
  ['/%c3', 'PCL_PATH_NOT_UTF8'], // truncated sequence
  ['/%f4%90%80%80', 'PCL_PATH_NOT_UTF8'], // beyond U+10FFFF
  ['/%ff', 'PCL_PATH_NOT_UTF8'],
  ['/caf\u00e9', 'PCL_PATH_NOT_UTF8'], // raw non-ASCII must be percent-encoded
  ['/a%2fb', 'PCL_PATH_ENCODED_SEPARATOR'],
  ['/a%2Fb', 'PCL_PATH_ENCODED_SEPARATOR'],
  ['/a%5cb', 'PCL_PATH_ENCODED_SEPARATOR'],
  ['/a%5Cb', 'PCL_PATH_ENCODED_SEPARATOR'],
  ['/..%2fadmin', 'PCL_PATH_ENCODED_SEPARATOR'],
  ['/a%ef%bc%8fb', 'PCL_PATH_ENCODED_SEPARATOR'], // U+FF0F fullwidth solidus
  ['/a%e2%88%95b', 'PCL_PATH_ENCODED_SEPARATOR'], // U+2215 division slash
  ['/a%ef%bc%bcb', 'PCL_PATH_ENCODED_SEPARATOR'], // U+FF3C fullwidth reverse solidus
  ['/a%e2%81%84b', 'PCL_PATH_ENCODED_SEPARATOR'], // U+2044 fraction slash
  ['/a%ef%b9%a8b', 'PCL_PATH_ENCODED_SEPARATOR'], // U+FE68 small reverse solidus
  ['/%e2%84%80', 'PCL_PATH_ENCODED_SEPARATOR'], // U+2100 "a/c": NFKC adds a '/'
  ['/a\\b', 'PCL_PATH_BACKSLASH'],
  ['/\\..\\windows', 'PCL_PATH_BACKSLASH'],
  ['/a%00', 'PCL_PATH_NUL'],
  ['/a\u0000b', 'PCL_PATH_NUL'],
  ['/a%0d%0aSet-Cookie:%20x=1', 'PCL_PATH_NUL'], // header injection via the path
  ['/a\r\nX: y', 'PCL_PATH_NUL'],
  ['/a%09', 'PCL_PATH_NUL'],
  ['/a\tb', 'PCL_PATH_NUL'],
  ['/a%7f', 'PCL_PATH_NUL'],
  ['/a%1b[31m', 'PCL_PATH_NUL'], // terminal escape into logs
  ['/a%c2%85', 'PCL_PATH_NUL'], // U+0085 NEL (C1 control)
  ['/..', 'PCL_PATH_DOT_SEGMENT'],
  ['/.', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/..', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/.', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/../admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/./admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/..?x=1', 'PCL_PATH_DOT_SEGMENT'],
  ['/%2e%2e/admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/%2E%2e/admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/.%2e/admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/%2e./admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/%2e', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/%2E/', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/%ef%bc%8e%ef%bc%8e/admin', 'PCL_PATH_DOT_SEGMENT'], // U+FF0E fullwidth full stops
  ['/a/.%ef%bc%8e/admin', 'PCL_PATH_DOT_SEGMENT'],
  ['/a/%e2%80%a5/admin', 'PCL_PATH_DOT_SEGMENT'], // U+2025 two dot leader, NFKC ".."
  ['/a/%e3%80%82%e3%80%82/admin', 'PCL_PATH_DOT_SEGMENT'], // U+3002 ideographic full stops
  ['/%252e%252e/admin', 'PCL_PATH_DOUBLE_ENCODED'],
  ['/a%252fb', 'PCL_PATH_DOUBLE_ENCODED'],
  ['/a%255c', 'PCL_PATH_DOUBLE_ENCODED'],
  ['/%2541dmin', 'PCL_PATH_DOUBLE_ENCODED'],
  ['/%25%32%66', 'PCL_PATH_DOUBLE_ENCODED'], // '%', '2', 'f' each encoded
  ['/%2500', 'PCL_PATH_DOUBLE_ENCODED'],
  ['/%ef%bc%85%ef%bc%92%ef%bd%86', 'PCL_PATH_DOUBLE_ENCODED'], // fullwidth "%2f", NFKC "%2f"
  ['//', 'PCL_PATH_DOUBLE_SLASH'],
  ['//evil.example/x', 'PCL_PATH_DOUBLE_SLASH'], // scheme-relative look
  ['/a//b', 'PCL_PATH_DOUBLE_SLASH'],
  ['/a/b//', 'PCL_PATH_DOUBLE_SLASH'],
  ['/admin;x=y', 'PCL_PATH_SEMICOLON'], // Tomcat-style path parameter
  ['/admin;/', 'PCL_PATH_SEMICOLON'],
  ['/a%3bb', 'PCL_PATH_SEMICOLON'],
  ['/a%3Bb', 'PCL_PATH_SEMICOLON'],
  ['/a%ef%bc%9bb', 'PCL_PATH_SEMICOLON'], // U+FF1B fullwidth semicolon
  ['/a%cd%be', 'PCL_PATH_SEMICOLON'], // U+037E greek question mark, NFKC ';'
  ['/a?x y', 'PCL_BAD_REQUEST'],
  ['/a?x=%00\u0000', 'PCL_BAD_REQUEST'],
  ['/a?x=1\r\nHost: evil', 'PCL_BAD_REQUEST'],
  ['/a?q=\u00e9', 'PCL_BAD_REQUEST'],
  ['/a?q=\u007f', 'PCL_BAD_REQUEST'],
];

describe('normalizeRequestTarget: malicious targets', () => {
  it('has a broad table', () => {
    expect(MALICIOUS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(MALICIOUS)('refuses %j with %s', (raw, code) => {
    expect(normalizeRequestTarget(raw, RULES)).toEqual({ ok: false, code });
  });

  it('refuses a target one byte over maxLength and accepts one at it', () => {
    const rules = { ...RULES, maxLength: 10 };
    expect(normalizeRequestTarget('/123456789', rules).ok).toBe(true);
    expect(normalizeRequestTarget('/1234567890', rules)).toEqual({ ok: false, code: 'PCL_PATH_TOO_LONG' });
    expect(normalizeRequestTarget('/a?3456789', rules).ok).toBe(true);
    expect(normalizeRequestTarget('/a?34567890', rules)).toEqual({ ok: false, code: 'PCL_PATH_TOO_LONG' });
  });
});

// Accepted targets with the exact path policy sees and the exact path the upstream gets.
const VALID: [raw: string, path: string, upstreamPath: string, query: string][] = [
  ['/', '/', '/', ''],
  ['/a/b', '/a/b', '/a/b', ''],
  ['/a/', '/a/', '/a/', ''],
  ['/a%41', '/aA', '/aA', ''],
  ['/a%20b', '/a b', '/a%20b', ''],
  ['/a%2eb', '/a.b', '/a.b', ''],
  ['/...', '/...', '/...', ''],
  ['/a./.b/..c', '/a./.b/..c', '/a./.b/..c', ''],
  ['/.well-known/acme', '/.well-known/acme', '/.well-known/acme', ''],
  ['/%7euser', '/~user', '/~user', ''],
  ['/caf%C3%A9', '/caf\u00e9', '/caf%C3%A9', ''],
  ['/caf%c3%a9', '/caf\u00e9', '/caf%C3%A9', ''],
  ['/%e6%97%a5%e6%9c%ac', '/\u65e5\u672c', '/%E6%97%A5%E6%9C%AC', ''],
  ['/%ef%bd%81dmin', '/\uff41dmin', '/%EF%BD%81dmin', ''], // letters that NFKC folds: left to policy
  ['/a|b', '/a|b', '/a%7Cb', ''],
  ['/a"b<c>', '/a"b<c>', '/a%22b%3Cc%3E', ''],
  ["/a'b(c)*!$&+,=:@", "/a'b(c)*!$&+,=:@", "/a'b(c)*!$&+,=:@", ''],
  ['/a%3Ab%40c', '/a:b@c', '/a:b@c', ''],
  ['/a%2Bb', '/a+b', '/a+b', ''],
  ['/%25', '/%', '/%25', ''],
  ['/a%25zz', '/a%zz', '/a%25zz', ''],
  ['/a%23b%3Fc', '/a#b?c', '/a%23b%3Fc', ''],
  ['/a?', '/a', '/a', '?'],
  ['/a?x=1&y=%zz', '/a', '/a', '?x=1&y=%zz'],
  ['/search?q=a+b&r=%2F..%2F', '/search', '/search', '?q=a+b&r=%2F..%2F'],
  ['/a%20b?x=/../', '/a b', '/a%20b', '?x=/../'],
];

describe('normalizeRequestTarget: valid targets', () => {
  it.each(VALID)('accepts %j', (raw, path, upstreamPath, query) => {
    expect(normalizeRequestTarget(raw, RULES)).toEqual({ ok: true, path, upstreamPath, query });
  });

  it('returns the raw string itself on the fast path', () => {
    const raw = '/api/v1/items';
    const t = normalizeRequestTarget(raw, RULES);
    expect(t.ok && t.path === raw && t.upstreamPath === raw).toBe(true);
  });

  it('allows "//" only when configured, and keeps it', () => {
    const rules = { ...RULES, allowDoubleSlash: true };
    expect(normalizeRequestTarget('/a//b', rules)).toEqual({ ok: true, path: '/a//b', upstreamPath: '/a//b', query: '' });
    expect(normalizeRequestTarget('/a//..', rules)).toEqual({ ok: false, code: 'PCL_PATH_DOT_SEGMENT' });
  });

  it('allows ";" only when configured, raw or encoded, and still refuses the other tricks', () => {
    const rules = { ...RULES, allowSemicolon: true };
    expect(normalizeRequestTarget('/a;v=1', rules)).toEqual({ ok: true, path: '/a;v=1', upstreamPath: '/a;v=1', query: '' });
    expect(normalizeRequestTarget('/a%3bb', rules)).toEqual({ ok: true, path: '/a;b', upstreamPath: '/a;b', query: '' });
    expect(normalizeRequestTarget('/a;/..', rules)).toEqual({ ok: false, code: 'PCL_PATH_DOT_SEGMENT' });
  });

  it('is not confused by the shared decode buffer across calls of different lengths', () => {
    normalizeRequestTarget('/' + 'x%41'.repeat(400), { ...RULES, maxLength: 4096 });
    expect(normalizeRequestTarget('/b%41', RULES)).toEqual({ ok: true, path: '/bA', upstreamPath: '/bA', query: '' });
  });
});

describe('encodePath', () => {
  it('is the canonical encoding used for upstreamPath', () => {
    expect(encodePath('/a b/caf\u00e9/%/;')).toBe('/a%20b/caf%C3%A9/%25/;');
  });
});

// Seeded so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ...'abcXYZ019-._~!$&\'()*+,=:@|"<>{}^`[];%/'.split(''),
  '%41', '%2e', '%2E', '%20', '%25', '%7C', '%c3%a9', '%e6%97%a5', '%f0%9f%98%80', '%3b', '%2f', '%00', '%c0%af',
  '%ef%bc%8e', '%ef%bd%81', '..', '.', '//',
];

describe('normalizeRequestTarget: properties over random targets', () => {
  it('decoding upstreamPath once gives path, and normalizing upstreamPath is idempotent', () => {
    const next = rng(0x5eed);
    let accepted = 0;
    for (let n = 0; n < 20000; n++) {
      let raw = '/';
      const parts = 1 + Math.floor(next() * 12);
      for (let k = 0; k < parts; k++) raw += PIECES[Math.floor(next() * PIECES.length)];
      const rules = { ...RULES, allowSemicolon: next() < 0.5, allowDoubleSlash: next() < 0.5 };
      const t = normalizeRequestTarget(raw, rules);
      if (!t.ok) continue;
      accepted++;
      expect(decodeURIComponent(t.upstreamPath), raw).toBe(t.path);
      expect(encodePath(t.path), raw).toBe(t.upstreamPath);
      expect(normalizeRequestTarget(t.upstreamPath, rules), raw).toEqual(t);
    }
    // The generator must exercise the accepting side too, not just the refusals.
    expect(accepted).toBeGreaterThan(2000);
  });

  it('never throws, whatever the input', () => {
    const next = rng(42);
    for (let n = 0; n < 5000; n++) {
      let raw = next() < 0.9 ? '/' : '';
      const len = Math.floor(next() * 24);
      for (let k = 0; k < len; k++) raw += String.fromCharCode(Math.floor(next() * (next() < 0.9 ? 128 : 0x10000)));
      expect(() => normalizeRequestTarget(raw, RULES)).not.toThrow();
    }
  });
});
