// The pure value parsers behind the semantic checks, including the inputs an attacker or a tired
// operator would write.
import { describe, expect, it } from 'vitest';
import { checkRoutePath, parseCidr, parseSize, parseTargetUrl } from '../gateway/config/values.js';

describe('parseSize', () => {
  it.each([
    [1, 1], [1048576, 1048576], ['512kb', 524288], ['1mb', 1048576], ['10MB', 10485760], ['1.5mb', 1572864], ['1gb', 1073741824], ['100', 100], ['64b', 64], [' 2 kb ', 2048],
  ])('%s -> %d bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ ok: true, value: bytes });
  });
  it.each([0, -1, 1.5, '0kb', 'lots', '1tb', '1e9', '0x10', ''])('refuses %s', (input) => {
    expect(parseSize(input).ok).toBe(false);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0', 8], ['192.168.1.7', '192.168.1.7', 32], ['0.0.0.0/0', '0.0.0.0', 0],
    ['fd00::/8', 'fd00::', 8], ['::1', '::1', 128], ['2001:DB8::/32', '2001:db8::', 32], ['::ffff:10.0.0.0/120', '::ffff:10.0.0.0', 120],
  ])('%s', (input, address, prefix) => {
    const r = parseCidr(input);
    expect(r.ok && r.value.address === address && r.value.prefix === prefix).toBe(true);
  });
  it.each(['10.0.0.0/33', '10.0.0.1/8', '10.0.0/8', '300.0.0.0/8', 'fd00::/129', 'fd00::1/8', 'fe80::1%eth0', '10.0.0.0/8/8', '10.0.0.0/x', '10.0.0.0/-1', 'localhost', ''])('refuses %s', (input) => {
    expect(parseCidr(input).ok).toBe(false);
  });
});

describe('parseTargetUrl', () => {
  it.each([
    ['http://127.0.0.1:9001', 'http://127.0.0.1:9001'], ['https://Api.Internal:443/', 'https://api.internal:443'], ['HTTP://h:80', 'http://h:80'], ['http://[::1]:8080', 'http://[::1]:8080'],
  ])('%s', (input, normalized) => {
    expect(parseTargetUrl(input)).toEqual({ ok: true, value: normalized });
  });
  it.each([
    ['ftp://h:21', /http/], ['http://h', /port/], ['http://h:0', /port/], ['http://h:70000', /./], ['http://h:1/api', /path/], ['http://h:1?x=1', /query/],
    ['http://h:1#f', /fragment/], ['http://user:pw@h:1', /credentials/], ['http://@h:1', /credentials/], ['//h:1', /http/], ['http://:1', /./], ['h:1', /http/],
  ])('refuses %s', (input, reason) => {
    const r = parseTargetUrl(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(reason);
      expect(r.reason).not.toContain('pw');
    }
  });
});

describe('checkRoutePath', () => {
  it.each([['exact', '/'], ['prefix', '/api'], ['pattern', '/users/:id/posts/:post_id'], ['exact', '/a:b']] as const)('%s %s', (kind, path) => {
    expect(checkRoutePath(kind, path).ok).toBe(true);
  });
  it.each([
    ['prefix', 'api'], ['prefix', '/a/../b'], ['exact', '/a/./b'], ['prefix', '/a?b=1'], ['exact', '/a#x'], ['prefix', '/a b'], ['prefix', '/a\\b'], ['prefix', '/a\u0000'],
    ['pattern', '/u/:id/:id'], ['pattern', '/u/x:y'], ['pattern', '/u/:'], ['pattern', '/u/:1a'], ['pattern', '/u/*'], ['pattern', '/u/:id-x'],
  ] as const)('refuses %s %j', (kind, path) => {
    expect(checkRoutePath(kind, path).ok).toBe(false);
  });
});
