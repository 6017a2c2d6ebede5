// An upstream pool: its targets, their health, the pool's circuit breaker and concurrency ceiling.
// `forward` (proxy.ts) is the only caller of admit/settle; everything else reads snapshots.
import type { ConnectionOptions } from 'node:tls';
import type { Pool } from 'undici';
import type { PoolConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { CircuitState, PoolObserver } from '../metrics.js';
import { pickSmoothWeighted } from './balancer.js';
import { ADMIT_PROBE, CircuitBreaker, REJECT } from './circuit.js';
import { ActiveHealthChecker } from './health-check.js';
import { Target } from './target.js';

/** undici's default; used when no route tells us the pool's connect timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface UpstreamPoolOptions {
  /**
   * Connect timeout for every connection of this pool, ms. undici sets it per connection pool, not per
   * request, so all routes sharing a pool share one value (see `connectTimeoutsFromRoutes`).
   */
  connectTimeoutMs?: number;
}

export interface TargetSnapshot {
  url: string;
  /** Taking traffic: passing active checks and not passively ejected. */
  healthy: boolean;
  /** Epoch ms when a passive ejection ends; absent when not ejected. */
  ejectedUntil?: number;
  inFlight: number;
}

export interface PoolSnapshot {
  name: string;
  circuit: CircuitState;
  targets: TargetSnapshot[];
}

/**
 * @example
 * const pool = new UpstreamPool(config.pools.api, observer, { connectTimeoutMs: 2000 });
 * pool.start();
 * const res = await forward(pool, { method: 'GET', path: '/x', headers: {}, body: null, ... });
 * await pool.close();
 */
export class UpstreamPool {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly breaker: CircuitBreaker;
  readonly observer: PoolObserver;
  /** Admitted requests whose response has not finished streaming. */
  inFlight = 0;

  private readonly maxConcurrent: number;
  private readonly checker: ActiveHealthChecker | undefined;
  private closed = false;

  constructor(config: PoolConfig, observer: PoolObserver, options: UpstreamPoolOptions = {}) {
    this.name = config.name;
    this.observer = observer;
    this.maxConcurrent = config.circuitBreaker.maxConcurrent;
    const connect = connectOptions(config, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    const dispatcher: Pool.Options = {
      connections: config.connectionsPerTarget,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // An upstream's Keep-Alive hint may shorten our idle timeout but never stretch it past config.
      keepAliveMaxTimeout: config.keepAliveTimeoutMs,
      connect,
    };
    this.targets = config.targets.map(
      (t) => new Target(t, { poolName: config.name, passive: config.passive, observer, dispatcher }),
    );
    this.breaker = new CircuitBreaker(config.circuitBreaker, (state) => observer.circuit(config.name, state));
    this.checker = config.healthCheck.enabled ? new ActiveHealthChecker(this.targets, config.healthCheck, connect) : undefined;
    for (const t of this.targets) observer.targetHealth(config.name, t.url, true);
    observer.circuit(config.name, 'closed');
  }

  /** Start active health checks (first round immediately). Targets start healthy either way. */
  start(): void {
    if (!this.closed) this.checker?.start();
  }

  /** Next available target by smooth weighted round-robin, skipping `exclude`; undefined when none. */
  pick(exclude?: Target | readonly Target[]): Target | undefined {
    return pickSmoothWeighted(this.targets, exclude);
  }

  hasHealthyTarget(): boolean {
    for (const t of this.targets) if (t.available) return true;
    return false;
  }

  /**
   * Admit one request or refuse it: PCL_UPSTREAM_OVERLOADED at the concurrency ceiling, PCL_CIRCUIT_OPEN
   * (with Retry-After) while the circuit refuses. Returns whether the request is a half-open probe.
   * Every admission must be followed by exactly one `settle` (verdict) or `abandon` (no verdict), and
   * by one `release` when the request is over.
   */
  admit(): boolean {
    if (this.inFlight >= this.maxConcurrent) throw new GatewayError('PCL_UPSTREAM_OVERLOADED');
    const a = this.breaker.admit();
    if (a === REJECT) {
      throw new GatewayError('PCL_CIRCUIT_OPEN', { 'retry-after': String(this.breaker.retryAfterSeconds()) });
    }
    this.inFlight++;
    return a === ADMIT_PROBE;
  }

  /** The upstream's verdict on an admitted request feeds the breaker. */
  settle(probe: boolean, ok: boolean): void {
    this.breaker.record(probe, ok);
  }

  /** An admitted request ended with no verdict on the upstream (client aborted, nothing to try). */
  abandon(probe: boolean): void {
    this.breaker.release(probe);
  }

  /** An admitted request is completely over (response streamed, or failed). */
  release(): void {
    this.inFlight--;
  }

  snapshot(): PoolSnapshot {
    return {
      name: this.name,
      circuit: this.breaker.state,
      targets: this.targets.map((t) => {
        const s: TargetSnapshot = { url: t.url, healthy: t.available, inFlight: t.inFlight };
        const until = t.ejectedUntil;
        if (until !== undefined) s.ejectedUntil = until;
        return s;
      }),
    };
  }

  /** Stop health checks and timers, then close connections once in-flight requests have finished. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopTimers();
    await Promise.allSettled(this.targets.map((t) => t.dispatcher.close()));
  }

  /** Like close, but aborts in-flight requests instead of waiting for them. */
  async destroy(): Promise<void> {
    this.closed = true;
    await this.stopTimers();
    await Promise.allSettled(this.targets.map((t) => t.dispatcher.destroy()));
  }

  private async stopTimers(): Promise<void> {
    this.breaker.dispose();
    for (const t of this.targets) t.dispose();
    await this.checker?.stop();
  }
}


/** TLS and timeout options for every connection of a pool (data and health-check connections alike). */
export type ConnectOptions = ConnectionOptions & { timeout: number };

function connectOptions(config: PoolConfig, timeout: number): ConnectOptions {
  const tls = config.tls;
  const connect: ConnectOptions = { timeout };
  if (tls === undefined) return connect;
  if (tls.ca !== undefined) connect.ca = tls.ca;
  if (tls.cert !== undefined) connect.cert = tls.cert;
  if (tls.key !== undefined) connect.key = tls.key;
  if (tls.servername !== undefined) connect.servername = tls.servername;
  connect.rejectUnauthorized = tls.rejectUnauthorized;
  return connect;
}
