// Baseline row: the smallest sensible Node proxy, fastify over HTTPS + @fastify/reply-from, logger
// off. It answers "how much of Portcullis's cost is just Node + fastify + undici?".
// Usage: node --import tsx bench/peers/fastify-reply-from.ts --upstream URL --cert FILE --key FILE
// Listens on an ephemeral port and prints READY <port>.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import fastify from 'fastify';
import replyFrom from '@fastify/reply-from';
import { exitOnSignals, requireOpt } from './common.js';

const { values } = parseArgs({
  options: { upstream: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } },
});
const upstream = requireOpt(values, 'upstream');

const app = fastify({
  logger: false,
  https: {
    cert: readFileSync(requireOpt(values, 'cert')),
    key: readFileSync(requireOpt(values, 'key')),
    // Same protocol floor as every other row, so no row wins by negotiating something cheaper.
    minVersion: 'TLSv1.3',
  },
  // Node's 5 s default would drop idle load-generator connections between warm-up and measurement.
  keepAliveTimeout: 120_000,
});
await app.register(replyFrom, { base: upstream });
app.all('/*', (req, reply) => reply.from(req.url));

await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
if (addr === null || typeof addr === 'string') throw new Error('fastify did not bind a TCP port');
process.stdout.write(`READY ${addr.port}\n`);
exitOnSignals(() => app.close());
