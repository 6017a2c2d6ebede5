// A tiny internal API for `portcullis dev`: it shows what the gateway forwards (identity headers,
// request id, normalized path) so a newcomer can see the edge at work.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoUpstream {
  port: number;
  close(): Promise<void>;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export async function startDemoUpstream(port: number, host = '127.0.0.1'): Promise<DemoUpstream> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    let status = 200;
    let body: unknown;
    if (path === '/healthz') {
      body = { status: 'ok' };
    } else if (path === '/hello') {
      body = { message: 'hello from the demo upstream', requestId: header(req, 'x-request-id') };
    } else if (path === '/whoami') {
      body = {
        path: url,
        requestId: header(req, 'x-request-id'),
        forwardedFor: header(req, 'x-forwarded-for'),
        clientCert: header(req, 'x-forwarded-client-cert') ?? null,
      };
    } else {
      status = 404;
      body = { error: 'no such demo endpoint', path: url };
    }
    const json = JSON.stringify(body, null, 2) + '\n';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
