// The admin port: its own HTTPS listener where every client must present a certificate from a trusted
// CA (the TLS handshake fails otherwise) and, when configured, one of the allowed identities. Health and
// metrics live only here so the data port never exposes internals.
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AdminConfig } from './config/types.js';
import { connectionIdentity } from './client-identity.js';
import { errorBody, GATEWAY_ERRORS } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import type { TrustDomainAuthority } from '../pki/index.js';

export interface AdminContext {
  runtime(): Runtime;
  revokedSerials(): ReadonlySet<string>;
  readonly trustAuthority: TrustDomainAuthority;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Set once the gateway has loaded a config and started listening. */
  isStarted(): boolean;
  isShuttingDown(): boolean;
}

export interface Readiness {
  ready: boolean;
  checks: { config: boolean; pools: Record<string, { required: boolean; healthyTargets: number; circuit: string }> };
}

/** Ready = config loaded, not draining, and every required pool has at least one healthy target. */
export function readiness(ctx: AdminContext): Readiness {
  const rt = ctx.runtime();
  const pools: Readiness['checks']['pools'] = {};
  let ready = ctx.isStarted() && !ctx.isShuttingDown();
  for (const [name, pool] of rt.pools) {
    const snap = pool.snapshot();
    const healthyTargets = snap.targets.filter((t) => t.healthy).length;
    const required = rt.config.pools[name]?.required ?? true;
    pools[name] = { required, healthyTargets, circuit: snap.circuit };
    if (required && healthyTargets === 0) ready = false;
  }
  return { ready, checks: { config: ctx.isStarted(), pools } };
}

export function createAdminPlane(admin: AdminConfig, ctx: AdminContext) {
  const app = Fastify({
    serverFactory: (handler) =>
      https.createServer(
        {
          cert: admin.tls.cert,
          key: admin.tls.key,
          ca: admin.tls.clientCa,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.3',
        },
        handler,
      ),
    loggerInstance: ctx.logger,
    // Access lines are written by our own onResponse hook (data port) with the fields operators need.
    logController: new LogController({ disableRequestLogging: true }),
  });

  const allowed = new Set(admin.allowedIdentities);
  app.addHook('onRequest', async (request, reply) => {
    const conn = connectionIdentity(request.raw.socket as TLSSocket, ctx.trustAuthority);
    const revoked = conn.peer !== undefined && ctx.revokedSerials().has(conn.peer.serial);
    const permitted = conn.verified && !revoked && (allowed.size === 0 || (conn.peer !== undefined && allowed.has(conn.peer.id)));
    if (!permitted) {
      const code = revoked ? 'PCL_CLIENT_CERT_REVOKED' : 'PCL_ADMIN_FORBIDDEN';
      return reply.code(GATEWAY_ERRORS[code].status).type('application/json; charset=utf-8').send(errorBody(code, String(request.id)));
    }
    return undefined;
  });

  app.get('/livez', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const r = readiness(ctx);
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', ...r.checks });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
  app.get('/v1/upstreams', async () => {
    const rt = ctx.runtime();
    return { pools: [...rt.pools.values()].map((p) => p.snapshot()) };
  });
  return app;
}
