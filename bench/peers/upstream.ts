// The one upstream every proxy row forwards to: plain node:http, keep-alive, a small fixed JSON body.
// Deliberately trivial so that the row-to-row differences come from the proxies, not from here.
// Usage: node --import tsx bench/peers/upstream.ts   (listens on an ephemeral port, prints READY <port>)

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitOnSignals } from './common.js';

const BODY = Buffer.from(JSON.stringify({ ok: true, service: 'bench-upstream', items: [1, 2, 3] }));

const server = createServer((req, res) => {
  // Drain any request body so the keep-alive connection stays usable; the bench only sends GETs.
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
});
// Proxies keep pooled connections idle between rows; node's 5 s default would close them mid-bench.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
exitOnSignals(() => new Promise<void>((resolve) => server.close(() => resolve())));
