// Which requests find a route at all: the TLS server name must agree with Host (so a connection set up
// for one virtual host cannot be used to reach another), Host must be present and well formed, and the
// method must be one the route serves. Every refusal is a JSON code and reaches no upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HOST, echoed, expectRefusal, startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const lines = (...l: string[]): string => l.join('\r\n') + '\r\n\r\n';

describe('SNI and Host', () => {
  it('SNI localhost with Host other.example: 421 PCL_MISDIRECTED_REQUEST', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/open/x', { headers: { host: 'other.example' } }));
    expectRefusal(result, 421, 'PCL_MISDIRECTED_REQUEST');
    expect(reached).toEqual([]);
  });

  it('SNI localhost cannot reach the host-restricted route by Host alone: 421', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/hosted/x', { headers: { host: API_HOST } }));
    expectRefusal(result, 421, 'PCL_MISDIRECTED_REQUEST');
    expect(reached).toEqual([]);
  });

  it('SNI of the restricted host with Host localhost: 421', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/open/x', { tls: { servername: API_HOST } }));
    expectRefusal(result, 421, 'PCL_MISDIRECTED_REQUEST');
    expect(reached).toEqual([]);
  });

  it('SNI and Host both the restricted host: served', async () => {
    const res = await stack.get('/hosted/x', { headers: { host: API_HOST }, tls: { servername: API_HOST } });
    expect(echoed(res).url).toBe('/hosted/x');
  });

  it('the restricted route does not exist for other hosts: 404 PCL_ROUTE_NOT_FOUND', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/hosted/x'));
    expectRefusal(result, 404, 'PCL_ROUTE_NOT_FOUND');
    expect(reached).toEqual([]);
  });

  it('no SNI (connecting by IP) with Host localhost: served', async () => {
    const res = await stack.get('/open/by-ip', { tls: { servername: null } });
    expect(echoed(res).url).toBe('/by-ip');
  });

  it.each(['localhost:443', `localhost:${65535}`, 'LocalHost'])('Host %s matches SNI localhost', async (host) => {
    const res = await stack.get('/open/x', { headers: { host } });
    expect(String(echoed(res).headers['x-forwarded-host']).toLowerCase()).toBe(host.toLowerCase());
  });

  it('no Host header on HTTP/1.1: 400 PCL_BAD_REQUEST with a JSON body', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(lines('GET /open/x HTTP/1.1', 'Connection: close')));
    expectRefusal(result, 400, 'PCL_BAD_REQUEST');
    expect(reached).toEqual([]);
  });

  it('no Host header on HTTP/1.0: 400 PCL_BAD_REQUEST', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(lines('GET /open/x HTTP/1.0')));
    expectRefusal(result, 400, 'PCL_BAD_REQUEST');
    expect(reached).toEqual([]);
  });

  it('two Host headers (Node would keep the first): 400 PCL_BAD_REQUEST', async () => {
    const { result, reached } = await stack.upstreamSaw(() =>
      stack.raw(lines('GET /hosted/x HTTP/1.1', 'Host: localhost', `Host: ${API_HOST}`, 'Connection: close')),
    );
    expectRefusal(result, 400, 'PCL_BAD_REQUEST');
    expect(reached).toEqual([]);
  });

  it.each(['localhost:abc', 'localhost:', 'evil.example@localhost', 'localhost/x', 'local_host', '[::1', ''])(
    'malformed Host "%s": 400 PCL_BAD_REQUEST',
    async (host) => {
      const { result, reached } = await stack.upstreamSaw(() => stack.raw(lines('GET /open/x HTTP/1.1', `Host: ${host}`, 'Connection: close')));
      expectRefusal(result, 400, 'PCL_BAD_REQUEST');
      expect(reached).toEqual([]);
    },
  );
});

describe('methods and unknown routes', () => {
  it('POST on a GET-only route: 405 with Allow', async () => {
    const { result, reached } = await stack.upstreamSaw(() =>
      stack.raw(lines('POST /readonly/x HTTP/1.1', 'Host: localhost', 'Connection: close', 'Content-Length: 2') + 'hi'),
    );
    expectRefusal(result, 405, 'PCL_METHOD_NOT_ALLOWED');
    expect(result.headers.allow).toBe('GET, HEAD');
    expect(reached).toEqual([]);
  });

  it('GET and HEAD on the GET-only route are served', async () => {
    expect(echoed(await stack.get('/readonly/x')).method).toBe('GET');
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/readonly/x', { method: 'HEAD' }));
    expect(result.status).toBe(200);
    expect(reached.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('TRACE on a route without explicit methods: 405 with Allow, and headers are never reflected', async () => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/open/x', { method: 'TRACE', headers: { cookie: 'session=secret' } }));
    expectRefusal(result, 405, 'PCL_METHOD_NOT_ALLOWED');
    expect(result.headers.allow).toBe('DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
    expect(result.body).not.toContain('secret');
    expect(reached).toEqual([]);
  });

  it.each([
    ['authority-form', 'CONNECT localhost:443 HTTP/1.1', 'Host: localhost:443'],
    ['origin-form', 'CONNECT /open/x HTTP/1.1', 'Host: localhost'],
  ])('CONNECT (%s) is refused with 405: the gateway never tunnels', async (_what, requestLine, host) => {
    const { result, reached } = await stack.upstreamSaw(() => stack.raw(lines(requestLine, host)));
    expectRefusal(result, 405, 'PCL_METHOD_NOT_ALLOWED');
    expect(reached).toEqual([]);
  });

  it('a method outside the fastify route list (PROPFIND) still goes through routing and hygiene', async () => {
    const ok = await stack.get('/open/dav', { method: 'PROPFIND' });
    expect(echoed(ok).method).toBe('PROPFIND');
    const { result, reached } = await stack.upstreamSaw(() => stack.get('/open/a/../b', { method: 'PROPFIND' }));
    expectRefusal(result, 400, 'PCL_PATH_DOT_SEGMENT');
    expect(reached).toEqual([]);
  });

  it.each(['/nowhere', '/openx', '/secur', '/'])('unknown route %s: 404 PCL_ROUTE_NOT_FOUND', async (path) => {
    const { result, reached } = await stack.upstreamSaw(() => stack.get(path));
    expectRefusal(result, 404, 'PCL_ROUTE_NOT_FOUND');
    expect(reached).toEqual([]);
  });
});
