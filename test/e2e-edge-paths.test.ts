// Path hygiene through the running gateway: every ambiguous request target is refused over real TLS
// with its stable code, and the upstream never sees it. Accepted targets reach the upstream in the one
// canonical encoding, so the upstream cannot decode a different path from the one we routed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATH_MAX_LENGTH, echoed, expectRefusal, startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The request line is written byte for byte, so raw backslashes, controls and high bytes go out as is. */
function requestFor(target: string | Buffer, method = 'GET'): Buffer {
  const head = Buffer.from(`${method} `, 'latin1');
  const tail = Buffer.from(' HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 'latin1');
  return Buffer.concat([head, typeof target === 'string' ? Buffer.from(target, 'latin1') : target, tail]);
}

// [what it tries, raw target, status, code]. Everything is under /open (mTLS off, any method), so the
// only thing that can refuse these is path hygiene (or Node's parser, noted where it answers first).
const refused: [string, string | Buffer, number, string][] = [
  ['encoded slash %2f', '/open/a%2fb', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['encoded slash %2F', '/open/a%2Fb', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['encoded backslash %5c', '/open/a%5cb', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['encoded backslash %5C', '/open/a%5Cb', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['raw backslash', '/open/a\\b', 400, 'PCL_PATH_BACKSLASH'],
  ['raw backslash dot-dot', '/open/..\\secure', 400, 'PCL_PATH_BACKSLASH'],
  ['encoded NUL %00', '/open/a%00b', 400, 'PCL_PATH_NUL'],
  ['encoded LF %0a', '/open/a%0aX-Injected:1', 400, 'PCL_PATH_NUL'],
  ['encoded DEL %7f', '/open/a%7f', 400, 'PCL_PATH_NUL'],
  // Raw controls never reach hygiene: Node's parser refuses the request line (HPE_INVALID_URL) and the
  // data plane's clientErrorHandler answers with the generic code.
  ['raw control char 0x01', '/open/a\x01b', 400, 'PCL_BAD_REQUEST'],
  ['raw DEL 0x7f', '/open/a\x7fb', 400, 'PCL_BAD_REQUEST'],
  ['raw non-ASCII bytes', Buffer.from([0x2f, 0x6f, 0x70, 0x65, 0x6e, 0x2f, 0xc3, 0xa9]), 400, 'PCL_BAD_REQUEST'],
  ['dot-dot segment', '/open/a/../b', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['dot-dot escaping the route prefix', '/open/../secure/x', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['encoded dot-dot %2e%2e', '/open/a/%2e%2e/b', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['mixed-case encoded dot-dot %2E%2e', '/open/a/%2E%2e/b', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['half-encoded dot-dot .%2e', '/open/a/.%2e/b', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['half-encoded dot-dot %2e.', '/open/a/%2e./b', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['trailing dot-dot', '/open/a/..', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['dot segment', '/open/a/./b', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['trailing dot segment', '/open/a/.', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['double-encoded dot-dot %252e%252e', '/open/%252e%252e/secure', 400, 'PCL_PATH_DOUBLE_ENCODED'],
  ['double-encoded slash %252f', '/open/a%252fb', 400, 'PCL_PATH_DOUBLE_ENCODED'],
  ['leading double slash', '//open/a', 400, 'PCL_PATH_DOUBLE_SLASH'],
  ['inner double slash', '/open/a//b', 400, 'PCL_PATH_DOUBLE_SLASH'],
  ['path parameter ;jsessionid', '/open/a;jsessionid=abc', 400, 'PCL_PATH_SEMICOLON'],
  ['encoded semicolon %3b', '/open/a%3bb', 400, 'PCL_PATH_SEMICOLON'],
  ['encoded semicolon %3B', '/open/a%3Bb', 400, 'PCL_PATH_SEMICOLON'],
  ['invalid escape %zz', '/open/a%zz', 400, 'PCL_PATH_INVALID_ENCODING'],
  ['truncated escape %4', '/open/a%4', 400, 'PCL_PATH_INVALID_ENCODING'],
  ['lone percent', '/open/100%', 400, 'PCL_PATH_INVALID_ENCODING'],
  ['overlong UTF-8 slash %c0%af', '/open/a%c0%afb', 400, 'PCL_PATH_NOT_UTF8'],
  ['overlong UTF-8 dots %c0%ae%c0%ae', '/open/%c0%ae%c0%ae/secure', 400, 'PCL_PATH_NOT_UTF8'],
  ['UTF-16 surrogate %ed%a0%80', '/open/%ed%a0%80', 400, 'PCL_PATH_NOT_UTF8'],
  ['invalid UTF-8 byte %ff', '/open/%ff', 400, 'PCL_PATH_NOT_UTF8'],
  ['fullwidth dots U+FF0E', '/open/%EF%BC%8E%EF%BC%8E/secure', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['small full stops U+FE52', '/open/%EF%B9%92%EF%B9%92/secure', 400, 'PCL_PATH_DOT_SEGMENT'],
  ['fullwidth solidus U+FF0F', '/open/a%EF%BC%8Fb', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['fullwidth reverse solidus U+FF3C', '/open/a%EF%BC%BCb', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['division slash U+2215', '/open/a%E2%88%95b', 400, 'PCL_PATH_ENCODED_SEPARATOR'],
  ['C1 control NEL', '/open/a%C2%85b', 400, 'PCL_PATH_NUL'],
  ['fragment in the target', '/open/a#b', 400, 'PCL_BAD_REQUEST'],
  ['control char in the query', '/open/a?x=%00&y=\x7f', 400, 'PCL_BAD_REQUEST'],
  ['path longer than server.paths.maxLength', `/open/${'a'.repeat(PATH_MAX_LENGTH)}`, 414, 'PCL_PATH_TOO_LONG'],
  ['absolute-form to another host', 'http://evil.example/x', 400, 'PCL_PATH_NOT_ABSOLUTE'],
  ['absolute-form to ourselves', 'https://localhost/open/x', 400, 'PCL_PATH_NOT_ABSOLUTE'],
  ['asterisk-form on GET', '*', 400, 'PCL_PATH_NOT_ABSOLUTE'],
];

describe('refused request targets never reach the upstream', () => {
  it('covers at least 25 variants', () => {
    expect(refused.length).toBeGreaterThanOrEqual(25);
  });

  it.each(refused)('%s', async (_what, target, status, code) => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(requestFor(target)));
    expectRefusal(result, status, code);
    expect(reached).toEqual([]);
  });

  it('asterisk-form OPTIONS * is refused, not answered for the whole server', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(requestFor('*', 'OPTIONS')));
    expectRefusal(result, 400, 'PCL_PATH_NOT_ABSOLUTE');
    expect(reached).toEqual([]);
  });

  it('hygiene runs before mTLS, so a required route refuses a bad path without asking for a certificate', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(requestFor('/secure/%2e%2e/open')));
    expectRefusal(result, 400, 'PCL_PATH_DOT_SEGMENT');
    expect(reached).toEqual([]);
  });
});

describe('accepted targets reach the upstream in canonical form', () => {
  // [raw target, what the upstream must see]. /open strips its prefix; /users/:id does not.
  const accepted: [string, string][] = [
    ['/open/a%41', '/aA'],
    ['/open/caf%c3%a9', '/caf%C3%A9'],
    ['/open/a"b', '/a%22b'],
    ['/open/x%20y', '/x%20y'],
    ['/open/a%25', '/a%25'],
    ['/open/%7euser', '/~user'],
    ['/open', '/'],
    // The query is the upstream's to interpret and passes through byte for byte.
    ['/open/search?q=%2f..%2f&x=%zz', '/search?q=%2f..%2f&x=%zz'],
    ['/users/%61lice', '/users/alice'],
  ];

  it.each(accepted)('%s -> %s', async (target, upstreamUrl) => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(requestFor(target)));
    expect(echoed(result).url).toBe(upstreamUrl);
    expect(reached.map((r) => r.url)).toEqual([upstreamUrl]);
  });

  it('a target of exactly server.paths.maxLength is still served', async () => {
    const target = `/open/${'b'.repeat(PATH_MAX_LENGTH - '/open/'.length)}`;
    expect(target.length).toBe(PATH_MAX_LENGTH);
    const res = await stack.raw(requestFor(target));
    expect(echoed(res).url).toBe(target.slice('/open'.length));
  });
});
