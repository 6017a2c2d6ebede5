// Everything a request needs that comes from configuration, built once per config load and swapped as
// one object: a request reads `gateway.runtime` once at its start and uses that snapshot throughout, so
// a hot reload can never mix the old router with the new pools.
import type { GatewayConfig, PathRules, RouteConfig } from './config/types.js';
import { compileRouter, type Router } from './routing/index.js';
import { compileTrustedProxies, type TrustedProxies } from './hygiene/index.js';
import { createPools, closePools, connectTimeoutsFromRoutes, type UpstreamPool } from './upstream/index.js';
import type { PoolObserver } from './metrics.js';

export interface Runtime {
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly pools: Map<string, UpstreamPool>;
  readonly pathRules: PathRules;
  readonly trustedProxies: TrustedProxies;
  readonly requireSniHostMatch: boolean;
  /** Routes that take client certificates into account; when none do, skip reading the peer cert. */
  readonly anyRouteUsesMtls: boolean;
  readonly routesByName: ReadonlyMap<string, RouteConfig>;
}

export function buildRuntime(config: GatewayConfig, observer: PoolObserver): Runtime {
  const router = compileRouter(config.routes);
  const trustedProxies = compileTrustedProxies(config.server.trustedProxies);
  // undici fixes the connect timeout per pool, so each pool takes the largest its routes ask for.
  const pools = createPools(config.pools, observer, { connectTimeoutMs: connectTimeoutsFromRoutes(config.routes) });
  return {
    config,
    router,
    pools,
    pathRules: config.server.paths,
    trustedProxies,
    requireSniHostMatch: config.server.requireSniHostMatch,
    anyRouteUsesMtls: config.routes.some((r) => r.mtls !== 'off'),
    routesByName: new Map(config.routes.map((r) => [r.name, r])),
  };
}

/** Close a runtime's pools once requests that started on it have had time to finish. */
export async function retireRuntime(runtime: Runtime, afterMs: number): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, afterMs).unref());
  await closePools(runtime.pools);
}
