// Public surface of gateway/upstream: pools of upstream targets with active and passive health, a
// circuit breaker per pool, and `forward`, the streaming proxy call.
import type { PoolConfig, RouteConfig } from '../config/types.js';
import type { PoolObserver } from '../metrics.js';
import { UpstreamPool, type UpstreamPoolOptions } from './pool.js';

export { UpstreamPool, DEFAULT_CONNECT_TIMEOUT_MS } from './pool.js';
export type { UpstreamPoolOptions, PoolSnapshot, TargetSnapshot, ConnectOptions } from './pool.js';
export type { Target } from './target.js';
export { forward, IDEMPOTENT_METHODS } from './proxy.js';
export type { ForwardRequest, ForwardResponse, ForwardTimeouts } from './proxy.js';
export { stripHopByHop, stripFixedHopByHop } from './hop-by-hop.js';
export type { HeaderMap } from './hop-by-hop.js';
export { pickSmoothWeighted } from './balancer.js';
export { CircuitBreaker } from './circuit.js';
export { classifyUpstreamError, failureCode, isRetryableFailure } from './classify.js';
export type { UpstreamFailure } from './classify.js';
export { isHealthyStatus } from './health-check.js';

export interface CreatePoolsOptions {
  /** Connect timeout per pool name, ms (see `connectTimeoutsFromRoutes`); missing = undici's 10 s. */
  connectTimeoutMs?: Readonly<Record<string, number>>;
}

/**
 * Build and start (active health checks) one UpstreamPool per configured pool.
 *
 * @example
 * const pools = createPools(config.pools, poolObserver(metrics),
 *   { connectTimeoutMs: connectTimeoutsFromRoutes(config.routes) });
 */
export function createPools(
  pools: Record<string, PoolConfig>,
  observer: PoolObserver,
  options: CreatePoolsOptions = {},
): Map<string, UpstreamPool> {
  const map = new Map<string, UpstreamPool>();
  for (const [name, config] of Object.entries(pools)) {
    const poolOptions: UpstreamPoolOptions = {};
    const connectTimeoutMs = options.connectTimeoutMs?.[name];
    if (connectTimeoutMs !== undefined) poolOptions.connectTimeoutMs = connectTimeoutMs;
    const pool = new UpstreamPool(config, observer, poolOptions);
    pool.start();
    map.set(name, pool);
  }
  return map;
}

/** Close every pool: stop health checks, then close connections once in-flight requests finish. */
export async function closePools(pools: Map<string, UpstreamPool>): Promise<void> {
  await Promise.allSettled([...pools.values()].map((p) => p.close()));
}

/**
 * One connect timeout per pool from the routes that use it. undici fixes the connect timeout per
 * connection pool, so when routes sharing a pool disagree the largest wins: a route is never refused
 * a connection sooner than it allows (its headers timeout still bounds the wait for an answer).
 */
export function connectTimeoutsFromRoutes(routes: readonly RouteConfig[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of routes) {
    const prev = out[r.pool];
    if (prev === undefined || r.timeouts.connectMs > prev) out[r.pool] = r.timeouts.connectMs;
  }
  return out;
}
export { ClientAbort, type AbortLike } from './abort.js';
