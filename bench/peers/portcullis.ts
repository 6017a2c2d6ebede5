// The Portcullis rows: load a portcullis.yaml and start the real gateway, exactly as production would,
// so the bench measures the whole request path (hygiene, routing, mTLS check, proxy) and not a
// hand-assembled subset.
// Usage: node --import tsx bench/peers/portcullis.ts CONFIG_PATH
// Prints READY <dataPort> once listening; any failure exits 1 with PEER_ERROR on stderr.

import { pino } from 'pino';
import { loadConfig } from '../../gateway/config/index.js';
import { startGateway } from '../../gateway/index.js';
import { exitOnSignals } from './common.js';

function fail(code: number, message: string): never {
  process.stderr.write(`PEER_ERROR ${message}\n`);
  process.exit(code);
}

const configPath = process.argv[2];
if (configPath === undefined) fail(2, 'usage: portcullis.ts CONFIG_PATH');

try {
  // An empty env: the bench must run the YAML it wrote, not whatever PORTCULLIS_* the caller exported.
  const config = await loadConfig(configPath, { env: {} });
  // Logs go to stderr so stdout carries only the READY line the parent waits for.
  const logger = pino({ level: config.logging.level }, pino.destination(2));
  const gw = await startGateway(config, { logger });
  process.stdout.write(`READY ${gw.dataPort}\n`);
  exitOnSignals(() => gw.close());
} catch (err) {
  fail(1, (err as Error).stack ?? String(err));
}
