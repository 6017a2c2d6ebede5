// Request framing at the edge: ambiguous message boundaries (the raw material of request smuggling) are
// refused with a JSON code and the connection is closed, so no byte after them is ever read as a
// request; oversized heads get 431 and oversized bodies 413 before the upstream sees a complete request.
// Many of these are caught by Node's parser and answered by the data plane's clientErrorHandler; the
// rest by the gateway's own framing check. Either way the client sees the same JSON shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, SMALL_BODY_LIMIT, echoed, expectRefusal, startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const CRLF = '\r\n';
const head = (lines: string[]): string => lines.join(CRLF) + CRLF + CRLF;

// [what it tries, exact bytes, status, code]
const ambiguous: [string, string, number, string][] = [
  [
    'Content-Length and Transfer-Encoding together',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Content-Length: 5', 'Transfer-Encoding: chunked']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'Transfer-Encoding before Content-Length',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding: chunked', 'Content-Length: 5']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'two Content-Length headers with the same value',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Content-Length: 3', 'Content-Length: 3']) + 'abc',
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'two Content-Length headers with different values',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Content-Length: 3', 'Content-Length: 10']) + 'abcdefghij',
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'Content-Length list "3, 3"',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Content-Length: 3, 3']) + 'abc',
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  ['signed Content-Length "+3"', head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Content-Length: +3']) + 'abc', 400, 'PCL_REQUEST_SMUGGLING'],
  [
    'Transfer-Encoding: chunked, identity',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding: chunked, identity']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'Transfer-Encoding: xchunked',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding: xchunked']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'Transfer-Encoding: gzip, chunked (a list Node accepts)',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding: gzip, chunked']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'Transfer-Encoding twice',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding: chunked', 'Transfer-encoding: chunked']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'invalid chunk size',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding: chunked']) + `zz${CRLF}abc${CRLF}0${CRLF}${CRLF}`,
    400,
    'PCL_REQUEST_SMUGGLING',
  ],
  [
    'space before the colon ("Transfer-Encoding : chunked")',
    head(['POST /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Transfer-Encoding : chunked']) + `0${CRLF}${CRLF}`,
    400,
    'PCL_BAD_REQUEST',
  ],
  [
    'obs-fold continuation line',
    head(['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'X-Note: first', ' Transfer-Encoding: chunked']),
    400,
    'PCL_BAD_REQUEST',
  ],
  ['NUL in a header value', head(['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'X-Note: a\x00b']), 400, 'PCL_BAD_REQUEST'],
  ['bare LF line endings', 'GET /open/x HTTP/1.1\nHost: localhost\nConnection: close\n\n', 400, 'PCL_BAD_REQUEST'],
];

describe('ambiguous framing is refused and never proxied', () => {
  it.each(ambiguous)('%s', async (_what, bytes, status, code) => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(bytes));
    expectRefusal(result, status, code);
    expect(result.headers.connection).toBe('close');
    expect(reached).toEqual([]);
  });
});

describe('request smuggling payloads', () => {
  // The smuggled request is a real, routable request: if any component split the stream differently
  // from us, the upstream would record GET /smuggled.
  const smuggled = head(['GET /open/smuggled HTTP/1.1', 'Host: localhost']);

  it('CL.TE: a body that hides a second request behind "0\\r\\n\\r\\n" is refused as a whole', async () => {
    const body = `0${CRLF}${CRLF}${smuggled}`;
    const bytes = head(['POST /open/legit HTTP/1.1', 'Host: localhost', `Content-Length: ${body.length}`, 'Transfer-Encoding: chunked']) + body;
    const conn = await stack.connect();
    const { result, reached } = await stack.upstreamSaw(() => conn.send(bytes));
    expectRefusal(result, 400, 'PCL_REQUEST_SMUGGLING');
    expect(reached.map((r) => r.url)).not.toContain('/smuggled');
    // At most the legit request may have been seen; here not even that, since the whole message is refused.
    expect(reached.filter((r) => r.url !== '/legit')).toEqual([]);
    await expect.poll(() => conn.closed).toBe(true);
  });

  it('TE.CL: a chunk that holds a second request is refused as a whole', async () => {
    const chunk = `${smuggled}`;
    const body = `${chunk.length.toString(16)}${CRLF}${chunk}${CRLF}0${CRLF}${CRLF}`;
    const bytes = head(['POST /open/legit HTTP/1.1', 'Host: localhost', 'Content-Length: 4', 'Transfer-Encoding: chunked']) + body;
    const conn = await stack.connect();
    const { result, reached } = await stack.upstreamSaw(() => conn.send(bytes));
    expectRefusal(result, 400, 'PCL_REQUEST_SMUGGLING');
    expect(reached).toEqual([]);
    await expect.poll(() => conn.closed).toBe(true);
  });

  it('TE.TE: an obfuscated second Transfer-Encoding is refused', async () => {
    const bytes =
      head(['POST /open/legit HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked', 'Transfer-Encoding: cow']) + `0${CRLF}${CRLF}${smuggled}`;
    const conn = await stack.connect();
    const { result, reached } = await stack.upstreamSaw(() => conn.send(bytes));
    expectRefusal(result, 400, 'PCL_REQUEST_SMUGGLING');
    expect(reached).toEqual([]);
    await expect.poll(() => conn.closed).toBe(true);
  });

  it('a refusal closes the connection, so pipelined bytes after it are never parsed', async () => {
    const bytes = head(['POST /open/legit HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: xchunked']) + `0${CRLF}${CRLF}${smuggled}`;
    const conn = await stack.connect();
    const { result, reached } = await stack.upstreamSaw(() => conn.send(bytes));
    expectRefusal(result, 400, 'PCL_REQUEST_SMUGGLING');
    expect(result.headers.connection).toBe('close');
    await expect.poll(() => conn.closed).toBe(true);
    expect(reached).toEqual([]);
  });

  it('control: a body that merely contains request text is a body, and keep-alive framing stays exact', async () => {
    const body = smuggled;
    const first = head(['POST /open/first HTTP/1.1', 'Host: localhost', `Content-Length: ${body.length}`]) + body;
    const second = head(['GET /open/second HTTP/1.1', 'Host: localhost']);
    const conn = await stack.connect();
    const { reached } = await stack.upstreamSaw(async () => {
      expect(echoed(await conn.send(first)).bodyBytes).toBe(body.length);
      expect(echoed(await conn.send(second)).url).toBe('/second');
    });
    conn.close();
    expect(reached.map((r) => [r.method, r.url, r.bodyBytes])).toEqual([
      ['POST', '/first', body.length],
      ['GET', '/second', 0],
    ]);
  });
});

describe('header size', () => {
  it('one header over server.maxHeaderBytes gets 431', async () => {
    const bytes = head(['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', `X-Big: ${'a'.repeat(MAX_HEADER_BYTES)}`]);
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(bytes));
    expectRefusal(result, 431, 'PCL_HEADERS_TOO_LARGE');
    expect(reached).toEqual([]);
  });

  it('many small headers adding up to more than server.maxHeaderBytes get 431', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}`);
    const bytes = head(['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', ...many]);
    expect(bytes.length).toBeGreaterThan(MAX_HEADER_BYTES);
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(bytes));
    expectRefusal(result, 431, 'PCL_HEADERS_TOO_LARGE');
    expect(reached).toEqual([]);
  });
});

describe('body limit (route bodyLimit)', () => {
  const post = (lines: string[], body: string): string => head(['POST /upload/x HTTP/1.1', 'Host: localhost', 'Connection: close', ...lines]) + body;

  it('control: a body of exactly the limit is proxied whole', async () => {
    const body = 'x'.repeat(SMALL_BODY_LIMIT);
    const res = await stack.raw(post([`Content-Length: ${body.length}`], body));
    expect(echoed(res).bodyBytes).toBe(SMALL_BODY_LIMIT);
  });

  it('a Content-Length over the limit gets 413 before the upstream sees anything', async () => {
    const body = 'x'.repeat(SMALL_BODY_LIMIT + 1);
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(post([`Content-Length: ${body.length}`], body)));
    expectRefusal(result, 413, 'PCL_BODY_TOO_LARGE');
    expect(reached).toEqual([]);
  });

  it('a huge declared Content-Length is refused without waiting for the body', async () => {
    // Only 3 of 10 GB are ever sent: the answer must come from the header alone.
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(post(['Content-Length: 10737418240'], 'abc')));
    expectRefusal(result, 413, 'PCL_BODY_TOO_LARGE');
    expect(reached).toEqual([]);
  });

  it('control: a chunked body under the limit is proxied whole', async () => {
    const res = await stack.raw(post(['Transfer-Encoding: chunked'], `10${CRLF}${'y'.repeat(16)}${CRLF}0${CRLF}${CRLF}`));
    expect(echoed(res).bodyBytes).toBe(16);
  });

  it('a chunked body over the limit gets 413 and the upstream never gets a complete request', async () => {
    const chunk = `20${CRLF}${'z'.repeat(32)}${CRLF}`;
    const body = chunk.repeat(4) + `0${CRLF}${CRLF}`;
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(post(['Transfer-Encoding: chunked'], body)));
    expectRefusal(result, 413, 'PCL_BODY_TOO_LARGE');
    // The echo upstream records a request only once its body ended; a cut-off upload never does.
    expect(reached).toEqual([]);
  });
});
