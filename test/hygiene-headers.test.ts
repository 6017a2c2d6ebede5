import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { GatewayErrorCode } from '../gateway/errors.js';
import { buildUpstreamHeaders, checkFraming, type UpstreamHeaderContext } from '../gateway/hygiene/headers.js';

const CTX: UpstreamHeaderContext = {
  clientIp: '203.0.113.9',
  peerIp: '203.0.113.9',
  peerTrusted: false,
  proto: 'https',
  host: 'api.example.com',
  requestId: 'req-1',
};

const GATEWAY_SET = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-request-id'];

describe('buildUpstreamHeaders', () => {
  it('drops every gateway-owned header whatever its case, and sets its own', () => {
    const spoofed: IncomingHttpHeaders = {
      'X-Portcullis-User': 'admin',
      'x-PORTCULLIS-roles': 'superuser',
      'X-Forwarded-Client-Cert': 'Hash=00;Subject="CN=admin"',
      'CLIENT-CERT': ':AAAA:',
      'Client-Cert-Chain': ':AAAA:',
      Forwarded: 'for=10.0.0.1;proto=https',
      'X-Forwarded-For': '10.0.0.1',
      'X-FORWARDED-PROTO': 'http',
      'x-forwarded-host': 'internal.example',
      'X-Forwarded-Prefix': '/admin',
      'X-Forwarded-Port': '8443',
      'X-Real-IP': '127.0.0.1',
      'X-Request-Id': 'spoofed',
      'X-Original-URL': '/admin',
      'X-Rewrite-URL': '/admin',
      Host: 'internal.example',
      ':authority': 'internal.example',
      accept: 'application/json',
    };
    const out = buildUpstreamHeaders(spoofed, CTX);
    expect({ ...out }).toEqual({
      accept: 'application/json',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
      'x-real-ip': '203.0.113.9',
      'x-request-id': 'req-1',
    });
  });

  it('drops hop-by-hop headers and every header named in Connection, but never its own', () => {
    const out = buildUpstreamHeaders(
      {
        connection: 'keep-alive, X-Secret-Hop , x-forwarded-for,,x-request-id',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'proxy-authenticate': 'Basic',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        'x-secret-hop': 'per-hop',
        authorization: 'Bearer t',
        'content-type': 'text/plain',
      },
      CTX,
    );
    expect(Object.keys(out).sort()).toEqual(['authorization', 'content-type', ...GATEWAY_SET].sort());
    expect(out['x-forwarded-for']).toBe('203.0.113.9');
    expect(out['x-request-id']).toBe('req-1');
  });

  it('ignores the forwarded chain when the peer is not trusted', () => {
    const out = buildUpstreamHeaders({}, { ...CTX, peerTrusted: false, chain: ['1.1.1.1'] });
    expect(out['x-forwarded-for']).toBe('203.0.113.9');
  });

  it('appends the peer to the trusted chain', () => {
    const out = buildUpstreamHeaders(
      { 'x-forwarded-for': 'spoof, 198.51.100.7, 10.0.0.2' },
      { ...CTX, clientIp: '198.51.100.7', peerIp: '::ffff:10.0.0.1', peerTrusted: true, chain: ['198.51.100.7', '10.0.0.2'] },
    );
    expect(out['x-forwarded-for']).toBe('198.51.100.7, 10.0.0.2, 10.0.0.1');
    expect(out['x-real-ip']).toBe('198.51.100.7');
  });

  it('keeps IPv6 peers as they are', () => {
    const out = buildUpstreamHeaders({}, { ...CTX, clientIp: '2001:db8::1', peerIp: '2001:db8::1' });
    expect(out['x-forwarded-for']).toBe('2001:db8::1');
  });

  it('adds identity headers last, so only the gateway speaks for the caller', () => {
    const out = buildUpstreamHeaders(
      { 'x-portcullis-subject': 'admin', 'x-forwarded-client-cert': 'forged' },
      { ...CTX, identityHeaders: { 'X-Portcullis-Subject': 'spiffe://corp/alice', 'x-forwarded-client-cert': 'Hash=ab' } },
    );
    expect(out['x-portcullis-subject']).toBe('spiffe://corp/alice');
    expect(out['x-forwarded-client-cert']).toBe('Hash=ab');
  });

  it('keeps repeated values and odd names as plain entries', () => {
    const inbound = JSON.parse('{"x-list": ["a", "b"], "__proto__": "x"}') as IncomingHttpHeaders;
    const out = buildUpstreamHeaders(inbound, CTX);
    expect(out['x-list']).toEqual(['a', 'b']);
    expect(Object.getPrototypeOf(out)).toBe(null);
    expect(Object.keys(out)).toContain('__proto__');
    expect(out['__proto__']).toBe('x');
  });

  it('strips what Node actually parsed from a raw request with odd-case spoofed headers', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const seen = once(server, 'request') as Promise<[IncomingMessage, { end(): void }]>;
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.write(
        'GET /x HTTP/1.1\r\nHost: api.example.com\r\nX-PortCullis-User: admin\r\nx-FORWARDED-for: 10.9.9.9\r\n' +
          'Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Keep: yes\r\n\r\n',
      );
      const [req, res] = await seen;
      const out = buildUpstreamHeaders(req.headers, { ...CTX, peerIp: req.socket.remoteAddress ?? '' });
      res.end();
      socket.destroy();
      expect(Object.keys(out).sort()).toEqual(['x-keep', ...GATEWAY_SET].sort());
      expect(out['x-forwarded-for']).toBe('127.0.0.1');
      expect(checkFraming(req.rawHeaders)).toBe(null);
    } finally {
      server.close();
    }
  });
});

const FRAMING: [string, string[], GatewayErrorCode | null][] = [
  ['plain GET', ['Host', 'a', 'Accept', '*/*'], null],
  ['one Content-Length', ['Host', 'a', 'Content-Length', '5'], null],
  ['chunked', ['Host', 'a', 'Transfer-Encoding', 'chunked'], null],
  ['chunked in another case', ['Host', 'a', 'transfer-encoding', 'Chunked'], null],
  ['a tab inside a value', ['Host', 'a', 'X-A', 'b\tc'], null],
  ['CL and TE', ['Content-Length', '5', 'Transfer-Encoding', 'chunked'], 'PCL_REQUEST_SMUGGLING'],
  ['TE and CL in odd case', ['TRANSFER-ENCODING', 'chunked', 'content-LENGTH', '0'], 'PCL_REQUEST_SMUGGLING'],
  ['two equal Content-Lengths', ['Content-Length', '5', 'Content-Length', '5'], 'PCL_REQUEST_SMUGGLING'],
  ['two Content-Lengths, different case', ['content-length', '5', 'CONTENT-LENGTH', '6'], 'PCL_REQUEST_SMUGGLING'],
  ['TE list', ['Transfer-Encoding', 'gzip, chunked'], 'PCL_REQUEST_SMUGGLING'],
  ['TE chunked twice in one', ['Transfer-Encoding', 'chunked, chunked'], 'PCL_REQUEST_SMUGGLING'],
  ['TE header twice', ['Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'], 'PCL_REQUEST_SMUGGLING'],
  ['TE identity', ['Transfer-Encoding', 'identity'], 'PCL_REQUEST_SMUGGLING'],
  ['TE with trailing junk', ['Transfer-Encoding', 'chunked;x'], 'PCL_REQUEST_SMUGGLING'],
  ['TE xchunked', ['Transfer-Encoding', 'xchunked'], 'PCL_REQUEST_SMUGGLING'],
  ['CL with sign', ['Content-Length', '+5'], 'PCL_BAD_REQUEST'],
  ['CL negative', ['Content-Length', '-1'], 'PCL_BAD_REQUEST'],
  ['CL hex', ['Content-Length', '0x10'], 'PCL_BAD_REQUEST'],
  ['CL list', ['Content-Length', '5, 5'], 'PCL_BAD_REQUEST'],
  ['CL with space', ['Content-Length', '5 '], 'PCL_BAD_REQUEST'],
  ['CL empty', ['Content-Length', ''], 'PCL_BAD_REQUEST'],
  ['CL decimal', ['Content-Length', '5.0'], 'PCL_BAD_REQUEST'],
  ['space before colon', ['Content-Length ', '5'], 'PCL_BAD_REQUEST'],
  ['name with a control', ['X\u0000A', 'b'], 'PCL_BAD_REQUEST'],
  ['empty name', ['', 'b'], 'PCL_BAD_REQUEST'],
  ['CR LF in a value', ['X-A', 'b\r\nTransfer-Encoding: chunked'], 'PCL_BAD_REQUEST'],
  ['bare LF in a value', ['X-A', 'b\nc'], 'PCL_BAD_REQUEST'],
  ['NUL in a value', ['X-A', 'b\u0000'], 'PCL_BAD_REQUEST'],
  ['DEL in a value', ['X-A', 'b\u007f'], 'PCL_BAD_REQUEST'],
  ['two Host headers', ['Host', 'a', 'host', 'b'], 'PCL_BAD_REQUEST'],
  ['odd-length list', ['Host'], 'PCL_BAD_REQUEST'],
];

describe('checkFraming', () => {
  it.each(FRAMING)('%s', (_label, raw, code) => {
    expect(checkFraming(raw)).toBe(code);
  });
});
