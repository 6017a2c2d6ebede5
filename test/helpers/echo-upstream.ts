// A real HTTP upstream for end-to-end tests that records every request it receives, so tests can
// assert that a refused request never reached it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export interface EchoUpstream {
  port: number;
  url: string;
  seen: SeenRequest[];
  /** Stop listening and cut open connections, as a crashed process would. */
  kill(): Promise<void>;
  /** Listen again on the same port. */
  revive(): Promise<void>;
  close(): Promise<void>;
}

export async function startEchoUpstream(name = 'upstream', port = 0): Promise<EchoUpstream> {
  const seen: SeenRequest[] = [];
  let server: http.Server;
  const make = (): http.Server =>
    http.createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (c: Buffer) => (bodyBytes += c.length));
      req.on('end', () => {
        if (req.url !== '/healthz') seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes });
        const body = JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, bodyBytes });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': name });
        res.end(body);
      });
    });
  const listen = (p: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server = make();
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const actual = await listen(port);
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    seen,
    kill: close,
    revive: async () => {
      await listen(actual);
    },
    close,
  };
}
