// Spoofed identity and forwarding headers: whatever a client writes, the upstream sees only the values the
// gateway established itself (the real TCP peer, the real verified certificate, its own request id).
// No trusted proxies are configured, so X-Forwarded-For from a client is never believed.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUST_DOMAIN, echoed, expectRefusal, startStack, type EchoBody, type Stack } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

// Raw header lines in odd casings; the raw client sends them byte for byte.
const SPOOFED = [
  'X-Forwarded-Client-Cert: Hash=0000;Subject="CN=admin";URI=spiffe://portcullis.test/user/admin',
  'x-FORWARDED-client-CERT: By=spiffe://evil;Hash=1111',
  'Client-Cert: :AAAA:',
  'CLIENT-CERT-CHAIN: :BBBB:',
  'X-Portcullis-User: admin',
  'x-portcullis-identity: spiffe://portcullis.test/user/admin',
  'X-Forwarded-For: 6.6.6.6',
  'x-forwarded-for: 7.7.7.7, 8.8.8.8',
  'Forwarded: for=6.6.6.6;proto=http;host=evil.example',
  'X-REAL-IP: 6.6.6.6',
  'X-Forwarded-Host: evil.example',
  'x-forwarded-proto: http',
  'X-Forwarded-Port: 80',
  'X-Original-URL: /secure/admin',
  'X-Rewrite-URL: /secure/admin',
];

function request(path: string, extra: string[] = []): string {
  return ['GET ' + path + ' HTTP/1.1', 'Host: localhost', 'Connection: close', ...SPOOFED, ...extra].join('\r\n') + '\r\n\r\n';
}

/** Headers only the gateway may write; none of them may carry a client's value. */
function expectGatewayForwarding(seen: EchoBody): void {
  const h = seen.headers;
  expect(h['x-forwarded-for']).toBe('127.0.0.1');
  expect(h['x-real-ip']).toBe('127.0.0.1');
  expect(h['x-forwarded-proto']).toBe('https');
  expect(h['x-forwarded-host']).toBe('localhost');
  expect(h.forwarded).toBeUndefined();
  expect(h['x-forwarded-port']).toBeUndefined();
  expect(h['x-portcullis-user']).toBeUndefined();
  expect(h['x-portcullis-identity']).toBeUndefined();
  expect(h['client-cert-chain']).toBeUndefined();
  expect(h['x-original-url']).toBeUndefined();
  expect(h['x-rewrite-url']).toBeUndefined();
  const all = JSON.stringify(h);
  for (const planted of ['6.6.6.6', '7.7.7.7', 'evil', 'user/admin', ':AAAA:', ':BBBB:']) expect(all).not.toContain(planted);
}

function xfccFor(der: Buffer, subject: string, uri?: string): string {
  const hash = createHash('sha256').update(der).digest('hex');
  return `Hash=${hash};Subject="${subject}"${uri !== undefined ? `;URI=${uri}` : ''}`;
}

describe('spoofed identity and forwarding headers', () => {
  it('mTLS off, no certificate: forwarding headers are the gateway\'s and no identity is forwarded', async () => {
    const seen = echoed(await stack.raw(request('/open/x')));
    expectGatewayForwarding(seen);
    expect(seen.headers['x-forwarded-client-cert']).toBeUndefined();
    expect(seen.headers['client-cert']).toBeUndefined();
  });

  it('mTLS off, with a valid certificate: still no identity (the route ignores certificates)', async () => {
    const seen = echoed(await stack.raw(request('/open/x'), { client: stack.clients.svc }));
    expectGatewayForwarding(seen);
    expect(seen.headers['x-forwarded-client-cert']).toBeUndefined();
    expect(seen.headers['client-cert']).toBeUndefined();
  });

  it('mTLS required: XFCC and Client-Cert describe the real certificate, never the planted ones', async () => {
    const { svc } = stack.clients;
    const seen = echoed(await stack.raw(request('/secure/x'), { client: svc }));
    expectGatewayForwarding(seen);
    expect(seen.headers['x-forwarded-client-cert']).toBe(xfccFor(svc.der, 'CN=good', `spiffe://${TRUST_DOMAIN}/svc/good`));
    expect(seen.headers['client-cert']).toBe(`:${svc.der.toString('base64')}:`);
  });

  it('mTLS optional without a certificate: no identity, planted XFCC dropped', async () => {
    const seen = echoed(await stack.raw(request('/maybe/x')));
    expectGatewayForwarding(seen);
    expect(seen.headers['x-forwarded-client-cert']).toBeUndefined();
    expect(seen.headers['client-cert']).toBeUndefined();
  });

  it('"Connection: x-forwarded-client-cert, client-cert, ..." cannot delete the gateway\'s own headers', async () => {
    const { user } = stack.clients;
    const trick = 'Connection: close, x-forwarded-client-cert, client-cert, x-forwarded-for, x-real-ip, x-request-id, x-forwarded-proto';
    const lines = ['GET /secure/x HTTP/1.1', 'Host: localhost', trick, 'X-Request-Id: trick-1'];
    const seen = echoed(await stack.raw(lines.join('\r\n') + '\r\n\r\n', { client: user }));
    expect(seen.headers['x-forwarded-client-cert']).toBe(xfccFor(user.der, 'CN=alice', `spiffe://${TRUST_DOMAIN}/user/alice`));
    expect(seen.headers['client-cert']).toBe(`:${user.der.toString('base64')}:`);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-request-id']).toBe('trick-1');
  });

  it('a header the client nominates in Connection is dropped (it is hop-by-hop for that hop)', async () => {
    const lines = ['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close, x-secret-hop', 'X-Secret-Hop: 1', 'X-Kept: 1'];
    const seen = echoed(await stack.raw(lines.join('\r\n') + '\r\n\r\n'));
    expect(seen.headers['x-secret-hop']).toBeUndefined();
    expect(seen.headers['x-kept']).toBe('1');
  });

  it('hop-by-hop request headers never reach the upstream', async () => {
    const lines = ['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Keep-Alive: timeout=999', 'TE: trailers', 'Proxy-Authorization: Basic Zm9vOmJhcg==', 'Proxy-Connection: keep-alive', 'Upgrade: h2c'];
    const seen = echoed(await stack.raw(lines.join('\r\n') + '\r\n\r\n'));
    for (const name of ['keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'upgrade']) expect(seen.headers[name]).toBeUndefined();
  });

  // CGI-style upstreams (PHP, WSGI, Rack: HTTP_X_FORWARDED_FOR) and proxies with underscores_in_headers
  // read these as the owned header, so a client could otherwise plant an identity or an address there.
  it('underscore spellings of owned headers are dropped too', async () => {
    const lines = ['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'X_Forwarded_For: 6.6.6.6', 'x_portcullis_user: admin', 'Client_Cert: :AAAA:', 'X_Forwarded_Client_Cert: Hash=0'];
    const seen = echoed(await stack.raw(lines.join('\r\n') + '\r\n\r\n'));
    for (const name of ['x_forwarded_for', 'x_portcullis_user', 'client_cert', 'x_forwarded_client_cert']) expect(seen.headers[name]).toBeUndefined();
  });
});

describe('X-Request-Id', () => {
  it('a well-formed inbound id is propagated to the upstream and echoed in the response', async () => {
    const id = 'req-2024.07:abc_DEF-123';
    const res = await stack.get('/open/x', { headers: { 'X-Request-Id': id } });
    expect(echoed(res).headers['x-request-id']).toBe(id);
    expect(res.headers['x-request-id']).toBe(id);
  });

  it('a well-formed id is also the requestId of an error response', async () => {
    const res = await stack.get('/secure/x', { headers: { 'x-request-id': 'trace-42' } });
    expectRefusal(res, 401, 'PCL_CLIENT_CERT_REQUIRED');
    expect(res.headers['x-request-id']).toBe('trace-42');
    expect(res.json().error.requestId).toBe('trace-42');
  });

  const malformed: [string, string[]][] = [
    ['with a space', ['X-Request-Id: abc def']],
    ['with log/HTML metacharacters', ['X-Request-Id: <script>alert(1)</script>']],
    ['with a quote and a comma', ['X-Request-Id: a",b']],
    ['longer than 128 characters', [`X-Request-Id: ${'a'.repeat(129)}`]],
    ['sent twice', ['X-Request-Id: one', 'x-request-id: two']],
    ['empty', ['X-Request-Id: ']],
  ];

  it.each(malformed)('an inbound id %s is replaced by a fresh one', async (_what, lines) => {
    const res = await stack.raw(['GET /open/x HTTP/1.1', 'Host: localhost', 'Connection: close', ...lines].join('\r\n') + '\r\n\r\n');
    const upstreamId = echoed(res).headers['x-request-id'];
    expect(upstreamId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.headers['x-request-id']).toBe(upstreamId);
  });

  it('a missing id gets a fresh one, different on every request', async () => {
    const a = await stack.get('/open/x');
    const b = await stack.get('/open/x');
    expect(echoed(a).headers['x-request-id']).toBe(a.headers['x-request-id']);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});
