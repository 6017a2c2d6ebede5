// Prometheus metrics for one gateway instance. Each gateway owns its own registry (tests run several
// in one process), served only on the admin port.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type CircuitState = 'closed' | 'open' | 'half-open';

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'code'>;
  readonly requestDuration: Histogram<'route'>;
  readonly upstreamDuration: Histogram<'pool' | 'outcome'>;
  readonly upstreamHealthy: Gauge<'pool' | 'target'>;
  readonly circuitState: Gauge<'pool'>;
  readonly rateLimited: Counter<'route' | 'scope'>;
  readonly rejected: Counter<'code'>;
  readonly configReloads: Counter<'result'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
    this.requests = new Counter({
      name: 'portcullis_requests_total',
      help: 'Requests answered by the data port, by route, method and status code.',
      labelNames: ['route', 'method', 'code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request start to response end on the data port.',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time from sending a request upstream to receiving its response headers.',
      labelNames: ['pool', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.upstreamHealthy = new Gauge({
      name: 'portcullis_upstream_healthy',
      help: '1 when the upstream target is taking traffic, 0 when ejected or failing health checks.',
      labelNames: ['pool', 'target'],
      registers,
    });
    this.circuitState = new Gauge({
      name: 'portcullis_circuit_state',
      help: 'Circuit breaker state per pool: 0 closed, 1 half-open, 2 open.',
      labelNames: ['pool'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'portcullis_rate_limited_total',
      help: 'Requests refused by a rate limit, by route and bucket scope (route or client).',
      labelNames: ['route', 'scope'],
      registers,
    });
    this.rejected = new Counter({
      name: 'portcullis_rejected_total',
      help: 'Requests refused by the gateway itself, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.configReloads = new Counter({
      name: 'portcullis_config_reloads_total',
      help: 'Configuration reload attempts by result (ok or rejected).',
      labelNames: ['result'],
      registers,
    });
  }

  // prom-client hashes label objects on every call; the request path caches the labelled children.
  private readonly requestChildren = new Map<string, { count: ReturnType<Counter<'route' | 'method' | 'code'>['labels']>; duration: ReturnType<Histogram<'route'>['labels']> }>();

  /** Count one answered request and its duration. Called once per request on the data port. */
  observeRequest(route: string, method: string, code: number, seconds: number): void {
    const key = `${route}\u0000${method}\u0000${code}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      // Bounded: methods and codes are finite, routes come from config.
      if (this.requestChildren.size > 10_000) this.requestChildren.clear();
      child = { count: this.requests.labels({ route, method, code }), duration: this.requestDuration.labels({ route }) };
      this.requestChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }

  setCircuit(pool: string, state: CircuitState): void {
    this.circuitState.set({ pool }, CIRCUIT_VALUE[state]);
  }
}

/** What upstream pools report; implemented by GatewayMetrics-backed observers and by tests. */
export interface PoolObserver {
  upstreamResponse(pool: string, target: string, seconds: number, outcome: 'ok' | 'error' | 'timeout' | 'http_5xx'): void;
  targetHealth(pool: string, target: string, healthy: boolean): void;
  circuit(pool: string, state: CircuitState): void;
}

export function poolObserver(metrics: GatewayMetrics): PoolObserver {
  // Per-request path: keep the labelled histogram children instead of hashing labels on every call.
  const durations = new Map<string, ReturnType<Histogram<'pool' | 'outcome'>['labels']>>();
  return {
    upstreamResponse: (pool, _target, seconds, outcome) => {
      const key = `${pool}\u0000${outcome}`;
      let child = durations.get(key);
      if (child === undefined) {
        child = metrics.upstreamDuration.labels({ pool, outcome });
        durations.set(key, child);
      }
      child.observe(seconds);
    },
    targetHealth: (pool, target, healthy) => metrics.upstreamHealthy.set({ pool, target }, healthy ? 1 : 0),
    circuit: (pool, state) => metrics.setCircuit(pool, state),
  };
}
