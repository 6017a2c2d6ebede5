// Pure parts of gateway/upstream: balancing, the breaker's state machine, hop-by-hop stripping and
// error classification. No sockets.
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolConfig, RouteConfig } from '../gateway/config/types.js';
import type { CircuitState, PoolObserver } from '../gateway/metrics.js';
import {
  CircuitBreaker,
  UpstreamPool,
  classifyUpstreamError,
  connectTimeoutsFromRoutes,
  failureCode,
  isRetryableFailure,
  pickSmoothWeighted,
  stripFixedHopByHop,
  stripHopByHop,
  type HeaderMap,
} from '../gateway/upstream/index.js';

const quiet: PoolObserver = { upstreamResponse() {}, targetHealth() {}, circuit() {} };

function poolConfig(weights: number[]): PoolConfig {
  return {
    name: 'p',
    // Nothing listens here: pick() never connects.
    targets: weights.map((weight, i) => ({ url: `http://127.0.0.1:${1000 + i}`, weight })),
    healthCheck: { enabled: false, path: '/health', intervalMs: 100, timeoutMs: 100, healthyThreshold: 1, unhealthyThreshold: 1 },
    passive: { consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectionMs: 120_000 },
    circuitBreaker: { failureThreshold: 5, openMs: 1000, halfOpenRequests: 1, maxConcurrent: 10 },
    connectionsPerTarget: 4,
    keepAliveTimeoutMs: 4000,
    required: true,
  };
}

const pools: UpstreamPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

describe('smooth weighted round-robin', () => {
  it('follows the weights exactly over whole cycles and interleaves heavy targets', () => {
    const c = [5, 1, 1].map((weight, i) => ({ id: i, weight, current: 0, available: true }));
    const seq = Array.from({ length: 7 }, () => pickSmoothWeighted(c)?.id);
    expect(seq).toEqual([0, 0, 1, 0, 2, 0, 0]);
  });

  it('distributes pool picks in proportion to the weights', () => {
    const pool = new UpstreamPool(poolConfig([5, 3, 1, 1]), quiet);
    pools.push(pool);
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const t = pool.pick();
      if (t) counts.set(t.url, (counts.get(t.url) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([500, 300, 100, 100]);
  });

  it('skips excluded and unavailable targets, and returns undefined when none is left', () => {
    const pool = new UpstreamPool(poolConfig([1, 1]), quiet);
    pools.push(pool);
    const [a, b] = pool.targets;
    for (let i = 0; i < 5; i++) expect(pool.pick(a)).toBe(b);
    expect(pool.pick([a!, b!])).toBeUndefined();
    // Two consecutive failures eject a target passively.
    b!.recordFailure();
    b!.recordFailure();
    expect(b!.available).toBe(false);
    expect(pool.snapshot().targets[1]).toMatchObject({ healthy: false, ejectedUntil: expect.any(Number) });
    expect(pool.pick(a)).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(pool.pick()).toBe(a);
    expect(pool.hasHealthyTarget()).toBe(true);
  });

  it('doubles the ejection time per ejection up to the cap', async () => {
    const cfg = poolConfig([1]);
    cfg.passive = { consecutiveFailures: 1, baseEjectionMs: 40, maxEjectionMs: 100 };
    const pool = new UpstreamPool(cfg, quiet);
    pools.push(pool);
    const t = pool.targets[0]!;
    const durations: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = Date.now();
      t.recordFailure();
      durations.push(t.ejectedUntil! - before);
      await waitFor(() => t.available);
    }
    expect(durations[0]).toBeGreaterThanOrEqual(40);
    expect(durations[0]).toBeLessThan(80);
    expect(durations[1]).toBeGreaterThanOrEqual(80);
    expect(durations[2]).toBeLessThanOrEqual(101);
    expect(durations[3]).toBeLessThanOrEqual(101);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, half-opens after openMs, and closes on a good probe', async () => {
    const states: CircuitState[] = [];
    const cb = new CircuitBreaker({ failureThreshold: 3, openMs: 60, halfOpenRequests: 1, maxConcurrent: 10 }, (s) => states.push(s));
    cb.record(false, false);
    cb.record(false, false);
    cb.record(false, true); // a success resets the streak
    cb.record(false, false);
    cb.record(false, false);
    expect(cb.state).toBe('closed');
    cb.record(false, false);
    expect(cb.state).toBe('open');
    expect(cb.admit()).toBe(2);
    expect(cb.retryAfterSeconds()).toBe(1);
    await waitFor(() => cb.state === 'half-open');
    expect(cb.admit()).toBe(1); // the one probe
    expect(cb.admit()).toBe(2); // no second probe
    cb.record(true, true);
    expect(cb.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
    cb.dispose();
  });

  it('re-opens when the probe fails and ignores late verdicts of pre-open requests', async () => {
    const cb = new CircuitBreaker({ failureThreshold: 1, openMs: 40, halfOpenRequests: 2, maxConcurrent: 10 }, () => {});
    cb.record(false, false);
    await waitFor(() => cb.state === 'half-open');
    cb.record(false, true); // admitted while closed: says nothing about recovery
    expect(cb.state).toBe('half-open');
    expect(cb.admit()).toBe(1);
    expect(cb.admit()).toBe(1);
    cb.release(true); // an aborted probe frees its slot
    expect(cb.admit()).toBe(1);
    cb.record(true, false);
    expect(cb.state).toBe('open');
    expect(cb.retryAfterSeconds(Date.now())).toBeGreaterThanOrEqual(1);
    cb.dispose();
  });
});

describe('hop-by-hop headers', () => {
  it('strips the fixed set, proxy-*, and names listed in Connection from responses', () => {
    const h: HeaderMap = {
      connection: 'keep-alive, X-Internal-Trace',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      trailer: 'x-sum',
      upgrade: 'h2c',
      'proxy-authenticate': 'Basic',
      'proxy-foo': '1',
      'x-internal-trace': 'abc',
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    };
    stripHopByHop(h);
    expect(h).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('on requests, never lets Connection name headers the gateway adds', () => {
    const h: HeaderMap = { connection: 'x-forwarded-client-cert', 'x-forwarded-client-cert': 'Hash=ab', 'proxy-authorization': 'Basic x' };
    stripFixedHopByHop(h);
    expect(h).toEqual({ 'x-forwarded-client-cert': 'Hash=ab' });
  });
});

describe('failure classification', () => {
  const err = (code: string): Error => Object.assign(new Error(`boom ${code}`), { code });
  it('retries only failures before any response and maps each to a client-facing code', () => {
    expect(classifyUpstreamError(err('ECONNREFUSED'))).toBe('refused');
    expect(classifyUpstreamError(err('UND_ERR_CONNECT_TIMEOUT'))).toBe('refused');
    expect(classifyUpstreamError(err('UND_ERR_SOCKET'))).toBe('reset');
    expect(classifyUpstreamError(new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')]))).toBe('refused');
    expect(classifyUpstreamError(err('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout');
    expect(classifyUpstreamError(err('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('other');
    expect(classifyUpstreamError('not an error')).toBe('other');
    expect(isRetryableFailure('refused')).toBe(true);
    expect(isRetryableFailure('reset')).toBe(true);
    expect(isRetryableFailure('timeout')).toBe(false);
    expect(isRetryableFailure('other')).toBe(false);
    expect(failureCode('refused')).toBe('PCL_UPSTREAM_UNAVAILABLE');
    expect(failureCode('timeout')).toBe('PCL_UPSTREAM_TIMEOUT');
    expect(failureCode('reset')).toBe('PCL_UPSTREAM_ERROR');
    expect(failureCode('other')).toBe('PCL_UPSTREAM_ERROR');
  });
});

describe('connectTimeoutsFromRoutes', () => {
  it('takes the largest connect timeout among the routes of each pool', () => {
    const route = (pool: string, connectMs: number): RouteConfig =>
      ({ pool, timeouts: { connectMs, headersMs: 1, bodyMs: 1 } }) as RouteConfig;
    expect(connectTimeoutsFromRoutes([route('a', 100), route('b', 50), route('a', 300), route('a', 200)])).toEqual({ a: 300, b: 50 });
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
