// The Portcullis rows: load a portcullis.yaml and start the real gateway, exactly as production would,
// so the bench measures the whole request path (hygiene, routing, mTLS check, proxy) and not a
// hand-assembled subset.
// Usage: node --import tsx bench/peers/portcullis.ts CONFIG_PATH
// Prints READY <dataPort> once listening. Exit code 3 means "the gateway modules are not there yet"
// (the parent reports the row as skipped rather than failed); any other failure exits 1.

import type { GatewayConfig } from '../../gateway/config/types.js';
import { pino, type Logger } from 'pino';
import { exitOnSignals } from './common.js';

// The contract the gateway team is implementing. Declared here rather than imported statically so the
// bench typechecks and its other rows keep working while gateway/index.ts does not exist yet; once it
// lands, these can become `import { startGateway } from '../../gateway/index.js'` etc.
interface ConfigModule {
  loadConfig(path: string, opts?: { env?: NodeJS.ProcessEnv }): Promise<GatewayConfig>;
}
interface GatewayModule {
  startGateway(config: GatewayConfig, opts?: { logger?: Logger }): Promise<{ dataPort: number; adminPort: number | undefined; close(): Promise<void> }>;
}

const NOT_BUILT = 3;

function fail(code: number, message: string): never {
  process.stderr.write(`PEER_ERROR ${message}\n`);
  process.exit(code);
}

/** Imports a gateway module, mapping "it isn't written yet" to exit code 3. */
async function importGateway(rel: string): Promise<Record<string, unknown>> {
  // A computed URL keeps tsc from resolving the path at compile time (see the interfaces above).
  const url = new URL(rel, import.meta.url).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A missing file anywhere in the gateway's import graph, or a missing export, both mean the
    // gateway is still being assembled, not that it is broken.
    if (e.code === 'ERR_MODULE_NOT_FOUND' || /does not provide an export named/.test(e.message)) {
      fail(NOT_BUILT, e.message.split('\n')[0] ?? String(err));
    }
    throw err;
  }
}

const configPath = process.argv[2];
if (configPath === undefined) fail(2, 'usage: portcullis.ts CONFIG_PATH');

const configMod = await importGateway('../../gateway/config/index.js');
const gatewayMod = await importGateway('../../gateway/index.js');
if (typeof configMod.loadConfig !== 'function') fail(NOT_BUILT, 'gateway/config/index.js has no loadConfig export');
if (typeof gatewayMod.startGateway !== 'function') fail(NOT_BUILT, 'gateway/index.js has no startGateway export');
const { loadConfig } = configMod as unknown as ConfigModule;
const { startGateway } = gatewayMod as unknown as GatewayModule;

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
