// A running gateway: the data port, the admin port, the current runtime (router + pools built from
// config), the revocation list, and hot reload. `startGateway` is what `portcullis gateway` and
// `portcullis dev` call.
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';
import { createDataPlane, tlsServerOptions } from './data-plane.js';
import { createAdminPlane } from './admin.js';
import { GatewayMetrics, poolObserver, type PoolObserver } from './metrics.js';
import { buildRuntime, retireRuntime, type Runtime } from './runtime.js';
import { RevocationWatcher } from './revocations.js';
import { InMemoryTokenBuckets, type TokenBucketStore } from '../store/index.js';
import { closePools } from './upstream/index.js';
import { loadTrustDomainAuthority } from '../pki/index.js';

export interface StartOptions {
  logger?: Logger;
  /** Counter store for rate limits; in-process by default. */
  buckets?: TokenBucketStore;
}

export interface RunningGateway {
  readonly dataPort: number;
  readonly adminPort: number | undefined;
  readonly metrics: GatewayMetrics;
  /** Swap in a new, already validated config. Listener address changes need a restart and are reported. */
  reload(config: GatewayConfig): Promise<{ restartNeeded: string[] }>;
  current(): GatewayConfig;
  /** Stop accepting, let in-flight requests finish (up to drainTimeoutMs), then close everything. */
  close(): Promise<void>;
}

/** fastify hands listen text an http:// URL even for HTTPS servers; keep only host:port. */
function hostPort(address: string): string {
  return address.replace(/^[a-z]+:\/\//, '');
}

export function createLogger(config: GatewayConfig): Logger {
  return pino({
    level: config.logging.level,
    base: { svc: 'portcullis-gateway' },
    // Belt and braces: should a header object ever reach a log line, these never leave the process.
    redact: {
      paths: ['*.authorization', '*.cookie', '*.headers.authorization', '*.headers.cookie', '*.key', '*.password', '*.token'],
      censor: '[redacted]',
    },
  });
}

export async function startGateway(config: GatewayConfig, opts: StartOptions = {}): Promise<RunningGateway> {
  const logger = opts.logger ?? createLogger(config);
  const metrics = new GatewayMetrics({ defaultMetrics: true });
  const observer: PoolObserver = poolObserver(metrics);
  const buckets = opts.buckets ?? new InMemoryTokenBuckets();
  let runtime: Runtime = buildRuntime(config, observer);
  let started = false;
  let shuttingDown = false;

  // Only our CA may issue identities in our trust domain, whatever other client CAs are trusted.
  const trustAuthority = await loadTrustDomainAuthority(config.pki.dir, config.pki.trustDomain);
  const revocations = new RevocationWatcher(config.pki.dir, config.pki.revocationRefreshMs, logger);
  await revocations.start();

  const dataPlane = createDataPlane(config, {
    runtime: () => runtime,
    revokedSerials: () => revocations.serials,
    trustAuthority,
    buckets,
    metrics,
    logger,
    accessLog: () => runtime.config.logging.accessLog,
  });
  let adminPlane: ReturnType<typeof createAdminPlane> | undefined;
  if (config.admin.enabled) {
    adminPlane = createAdminPlane(config.admin, {
      runtime: () => runtime,
      revokedSerials: () => revocations.serials,
    trustAuthority,
      metrics,
      logger,
      isStarted: () => started,
      isShuttingDown: () => shuttingDown,
    });
  }

  try {
    await dataPlane.listen({ host: config.server.host, port: config.server.port, listenTextResolver: (a) => `data port listening at https://${hostPort(a)}` });
    if (adminPlane !== undefined) await adminPlane.listen({ host: config.admin.host, port: config.admin.port, listenTextResolver: (a) => `admin port listening at https://${hostPort(a)}` });
  } catch (err) {
    await Promise.allSettled([dataPlane.close(), adminPlane?.close()]);
    await closePools(runtime.pools);
    revocations.stop();
    throw err;
  }
  started = true;
  const dataPort = (dataPlane.server.address() as AddressInfo).port;
  const adminPort = adminPlane !== undefined ? (adminPlane.server.address() as AddressInfo).port : undefined;
  logger.info({ dataPort, adminPort, routes: config.routes.length, pools: Object.keys(config.pools).length }, 'gateway listening');

  return {
    dataPort,
    adminPort,
    metrics,
    current: () => runtime.config,
    async reload(next) {
      const restartNeeded: string[] = [];
      const prev = runtime.config;
      if (next.server.host !== prev.server.host || next.server.port !== prev.server.port) restartNeeded.push('server.host/server.port');
      if (next.admin.enabled !== prev.admin.enabled || next.admin.host !== prev.admin.host || next.admin.port !== prev.admin.port) restartNeeded.push('admin listener');
      if (next.server.maxHeaderBytes !== prev.server.maxHeaderBytes) restartNeeded.push('server.maxHeaderBytes');
      if (next.pki.dir !== prev.pki.dir || next.pki.trustDomain !== prev.pki.trustDomain) restartNeeded.push('pki.dir/pki.trustDomain');
      const old = runtime;
      runtime = buildRuntime(next, observer);
      // New handshakes pick up rotated certificates and CA bundles without dropping connections.
      const tls = tlsServerOptions(next);
      (dataPlane.server as import('node:https').Server).setSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: tls.minVersion });
      metrics.configReloads.inc({ result: 'ok' });
      logger.info({ routes: next.routes.length, pools: Object.keys(next.pools).length, restartNeeded }, 'config reloaded');
      void retireRuntime(old, next.server.drainTimeoutMs);
      return { restartNeeded };
    },
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      const drainMs = runtime.config.server.drainTimeoutMs;
      // fastify.close stops accepting, answers new requests on open connections with 503 + close, and
      // waits for in-flight ones; past the drain deadline the remaining sockets are cut.
      const force = setTimeout(() => {
        dataPlane.server.closeAllConnections();
        adminPlane?.server.closeAllConnections();
      }, drainMs);
      force.unref();
      await Promise.allSettled([dataPlane.close(), adminPlane?.close()]);
      clearTimeout(force);
      revocations.stop();
      await closePools(runtime.pools);
      await buckets.close();
      logger.info('gateway stopped');
    },
  };
}
