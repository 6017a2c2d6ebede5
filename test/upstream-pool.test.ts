// UpstreamPool + forward against real node:http upstreams on 127.0.0.1: failover, passive and active
// health, the circuit breaker, retries, timeouts, concurrency ceiling, client aborts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolConfig } from '../gateway/config/types.js';
import { GATEWAY_ERRORS, GatewayError } from '../gateway/errors.js';
import type { CircuitState, PoolObserver } from '../gateway/metrics.js';
import { UpstreamPool, forward, type ForwardRequest } from '../gateway/upstream/index.js';
import { bodyText, forwardRequest } from './helpers/forward.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Upstream {
  url: string;
  port: number;
  hits: number;
  handler: Handler;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(handler: Handler = ok): Promise<Upstream> {
  const server: Server = createServer((req, res) => {
    u.hits++;
    u.handler(req, res);
  });
  const listen = (port: number): Promise<void> => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const u: Upstream = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits: 0,
    handler,
    // Dies like a crashed process: stop listening and cut every open connection.
    stop: async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    restart: () => listen(port),
  };
  cleanups.push(() => u.stop());
  return u;
}

function ok(_req: IncomingMessage, res: ServerResponse): void {
  res.end('ok');
}

/** A port nothing listens on. */
async function deadUrl(): Promise<string> {
  const u = await upstream();
  await u.stop();
  return u.url;
}

function config(urls: string[], over: Partial<PoolConfig> = {}): PoolConfig {
  return {
    name: 'api',
    targets: urls.map((url) => ({ url, weight: 1 })),
    healthCheck: { enabled: false, path: '/health', intervalMs: 50, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 },
    passive: { consecutiveFailures: 2, baseEjectionMs: 200, maxEjectionMs: 1000 },
    circuitBreaker: { failureThreshold: 100, openMs: 300, halfOpenRequests: 1, maxConcurrent: 100 },
    connectionsPerTarget: 8,
    keepAliveTimeoutMs: 4000,
    required: true,
    ...over,
  };
}

function recorder(): PoolObserver & { health: [string, boolean][]; circuits: CircuitState[]; outcomes: string[] } {
  const r = {
    health: [] as [string, boolean][],
    circuits: [] as CircuitState[],
    outcomes: [] as string[],
    upstreamResponse: (_p: string, _t: string, _s: number, outcome: string) => void r.outcomes.push(outcome),
    targetHealth: (_p: string, target: string, healthy: boolean) => void r.health.push([target, healthy]),
    circuit: (_p: string, state: CircuitState) => void r.circuits.push(state),
  };
  return r;
}

function makePool(cfg: PoolConfig, observer: PoolObserver = recorder()): UpstreamPool {
  const pool = new UpstreamPool(cfg, observer, { connectTimeoutMs: 500 });
  pool.start();
  cleanups.push(() => pool.destroy());
  return pool;
}

function request(over: Partial<ForwardRequest> = {}): ForwardRequest {
  return forwardRequest({ retries: 2, connectMs: 500, headersMs: 2000, bodyMs: 2000 }, over);
}

const text = bodyText;

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('failover and health', () => {
  it('ejects a target that dies, keeps serving GETs from the others, and takes it back when it returns', async () => {
    const [a, b, c] = await Promise.all([upstream(), upstream(), upstream()]);
    const obs = recorder();
    const pool = makePool(config([a!.url, b!.url, c!.url], { passive: { consecutiveFailures: 2, baseEjectionMs: 100, maxEjectionMs: 400 } }), obs);
    const send = async (): Promise<void> => {
      const res = await forward(pool, request());
      expect(res.statusCode).toBe(200);
      expect(await text(res)).toBe('ok');
    };
    for (let i = 0; i < 9; i++) await send();
    expect([a!.hits, b!.hits, c!.hits]).toEqual([3, 3, 3]);

    await b!.stop();
    // Every GET still succeeds: failed attempts on b are retried on another target.
    for (let i = 0; i < 30; i++) await send();
    expect(obs.health).toContainEqual([b!.url, false]);
    expect(obs.outcomes).toContain('error');

    await b!.restart();
    const before = b!.hits;
    await waitFor(() => pool.snapshot().targets[1]!.healthy);
    for (let i = 0; i < 30; i++) await send();
    expect(b!.hits).toBeGreaterThan(before);
    expect(obs.health.at(-1)).toEqual([b!.url, true]);
  });

  it('active checks mark a dead target unhealthy and healthy again after it returns', async () => {
    const health = (req: IncomingMessage, res: ServerResponse): void => {
      res.statusCode = req.url === '/health' ? 204 : 200;
      res.end();
    };
    const [a, b] = await Promise.all([upstream(health), upstream(health)]);
    const obs = recorder();
    const pool = makePool(
      config([a!.url, b!.url], {
        healthCheck: { enabled: true, path: '/health', intervalMs: 50, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 },
        // Passive ejection stays out of the way: only active checks decide here.
        passive: { consecutiveFailures: 1000, baseEjectionMs: 100, maxEjectionMs: 100 },
      }),
      obs,
    );
    // The first round runs at start: both targets get checked right away.
    await waitFor(() => a!.hits > 0 && b!.hits > 0);
    expect(pool.hasHealthyTarget()).toBe(true);

    await b!.stop();
    await waitFor(() => !pool.snapshot().targets[1]!.healthy);
    expect(pool.snapshot().targets[1]!.ejectedUntil).toBeUndefined();
    for (let i = 0; i < 5; i++) expect((await forward(pool, request())).target).toBe(a!.url);

    await b!.restart();
    await waitFor(() => pool.snapshot().targets[1]!.healthy);
    expect(obs.health.filter(([t]) => t === b!.url).map(([, h]) => h)).toEqual([true, false, true]);
  });

  it('answers PCL_UPSTREAM_UNAVAILABLE when every target is down, without upstream text', async () => {
    const pool = makePool(config([await deadUrl(), await deadUrl()]));
    const err = await rejection(forward(pool, request()));
    expect(err.code).toBe('PCL_UPSTREAM_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.message).toBe(GATEWAY_ERRORS.PCL_UPSTREAM_UNAVAILABLE.message);
    expect(err.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(JSON.stringify(err.cause, Object.getOwnPropertyNames(err.cause ?? {}))).toMatch(/ECONNREFUSED/);
    // Both targets failed twice over a few requests: they are ejected and the pool is empty.
    await rejection(forward(pool, request()));
    expect(pool.hasHealthyTarget()).toBe(false);
    expect((await rejection(forward(pool, request()))).code).toBe('PCL_UPSTREAM_UNAVAILABLE');
    expect(pool.inFlight).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive 5xx, fails fast with Retry-After, then a half-open probe closes it', async () => {
    const up = await upstream((_req, res) => {
      res.statusCode = 500;
      res.end('internal details');
    });
    const obs = recorder();
    const pool = makePool(
      config([up.url], {
        circuitBreaker: { failureThreshold: 3, openMs: 300, halfOpenRequests: 1, maxConcurrent: 100 },
        passive: { consecutiveFailures: 1000, baseEjectionMs: 100, maxEjectionMs: 100 },
      }),
      obs,
    );
    for (let i = 0; i < 3; i++) {
      const res = await forward(pool, request());
      expect(res.statusCode).toBe(500); // 5xx answers are passed through, but count as failures
      await text(res);
    }
    expect(pool.snapshot().circuit).toBe('open');
    const hits = up.hits;
    const err = await rejection(forward(pool, request()));
    expect(err.code).toBe('PCL_CIRCUIT_OPEN');
    expect(Number(err.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(up.hits).toBe(hits); // failed fast: the upstream never saw it

    up.handler = ok;
    await waitFor(() => pool.snapshot().circuit === 'half-open');
    const res = await forward(pool, request());
    expect(res.statusCode).toBe(200);
    await text(res);
    expect(pool.snapshot().circuit).toBe('closed');
    expect(obs.circuits).toEqual(['closed', 'open', 'half-open', 'closed']);
    expect(obs.outcomes.slice(0, 3)).toEqual(['http_5xx', 'http_5xx', 'http_5xx']);
  });

  it('re-opens when the half-open probe fails', async () => {
    const up = await upstream((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const pool = makePool(config([up.url], { circuitBreaker: { failureThreshold: 1, openMs: 100, halfOpenRequests: 1, maxConcurrent: 100 } }));
    await text(await forward(pool, request()));
    await waitFor(() => pool.snapshot().circuit === 'half-open');
    await text(await forward(pool, request()));
    expect(pool.snapshot().circuit).toBe('open');
  });
});

describe('retries', () => {
  // Reads the whole request body, then drops the connection without answering.
  function swallow(seen: string[]): Handler {
    return (req) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push(body);
        req.socket.destroy();
      });
    };
  }

  it('does not retry a POST whose body was sent; the second target never sees it', async () => {
    const seen: string[] = [];
    const [a, b] = await Promise.all([upstream(swallow(seen)), upstream()]);
    const pool = makePool(config([a!.url, b!.url]));
    const err = await rejection(
      forward(pool, request({ method: 'POST', idempotent: false, retries: 3, body: Readable.from([Buffer.from('pay 100 EUR')]) })),
    );
    expect(err.code).toBe('PCL_UPSTREAM_ERROR');
    expect(seen).toEqual(['pay 100 EUR']);
    expect(b!.hits).toBe(0);
  });

  it('does not retry a POST even when the caller marks it idempotent', async () => {
    const seen: string[] = [];
    const [a, b] = await Promise.all([upstream(swallow(seen)), upstream()]);
    const pool = makePool(config([a!.url, b!.url]));
    await rejection(forward(pool, request({ method: 'POST', idempotent: true, retries: 3 })));
    expect(b!.hits).toBe(0);
  });

  it('retries a GET whose connection dropped before headers on another target', async () => {
    const [a, b] = await Promise.all([upstream(swallow([])), upstream()]);
    const pool = makePool(config([a!.url, b!.url]));
    const res = await forward(pool, request({ retries: 1 }));
    expect(res.target).toBe(b!.url);
    expect(await text(res)).toBe('ok');
    expect(a!.hits).toBe(1);
  });

  it('does not retry an idempotent PUT with a body: a consumed stream cannot be replayed without buffering', async () => {
    const b = await upstream();
    const pool = makePool(config([await deadUrl(), b.url]));
    const err = await rejection(forward(pool, request({ method: 'PUT', retries: 3, body: Readable.from([Buffer.from('v2')]) })));
    expect(err.code).toBe('PCL_UPSTREAM_UNAVAILABLE');
    expect(b.hits).toBe(0);
  });

  it('gives up after `retries` extra attempts', async () => {
    const urls = [await deadUrl(), await deadUrl(), await deadUrl()];
    const good = await upstream();
    const pool = makePool(config([...urls, good.url]));
    // The three dead targets come first in rotation: two retries are not enough to reach the live one.
    expect((await rejection(forward(pool, request({ retries: 2 })))).code).toBe('PCL_UPSTREAM_UNAVAILABLE');
    expect(good.hits).toBe(0);
  });
});

describe('timeouts, limits and aborts', () => {
  it('maps a headers timeout to PCL_UPSTREAM_TIMEOUT and keeps upstream text out of the message', async () => {
    const up = await upstream(() => {
      /* never answers */
    });
    const obs = recorder();
    const pool = makePool(config([up.url]), obs);
    const err = await rejection(forward(pool, request({ timeouts: { connectMs: 500, headersMs: 100, bodyMs: 100 } })));
    expect(err.code).toBe('PCL_UPSTREAM_TIMEOUT');
    expect(err.status).toBe(504);
    expect(err.message).toBe(GATEWAY_ERRORS.PCL_UPSTREAM_TIMEOUT.message);
    expect(err.message).not.toMatch(/headers|undici|UND_ERR/i);
    expect((err.cause as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(obs.outcomes).toEqual(['timeout']);
    expect(up.hits).toBe(1); // not retried: the request had reached the upstream
  });

  it('refuses requests beyond maxConcurrent with PCL_UPSTREAM_OVERLOADED until bodies finish', async () => {
    const held: ServerResponse[] = [];
    const up = await upstream((_req, res) => void held.push(res));
    const pool = makePool(config([up.url], { circuitBreaker: { failureThreshold: 100, openMs: 100, halfOpenRequests: 1, maxConcurrent: 2 } }));
    const first = forward(pool, request());
    const second = forward(pool, request());
    expect((await rejection(forward(pool, request()))).code).toBe('PCL_UPSTREAM_OVERLOADED');
    await waitFor(() => held.length === 2);
    for (const res of held) res.writeHead(200).write('partial');
    const [r1, r2] = await Promise.all([first, second]);
    // Headers are in but bodies are still streaming: still two in flight.
    expect(pool.inFlight).toBe(2);
    expect((await rejection(forward(pool, request()))).code).toBe('PCL_UPSTREAM_OVERLOADED');
    for (const res of held) res.end();
    await Promise.all([text(r1), text(r2)]);
    await waitFor(() => pool.inFlight === 0);
    up.handler = ok;
    expect(await text(await forward(pool, request()))).toBe('ok');
  });

  it('aborts the upstream request when the client goes away, without blaming the upstream', async () => {
    let upstreamClosed = false;
    const up = await upstream((req) => req.socket.on('close', () => (upstreamClosed = true)));
    const obs = recorder();
    const pool = makePool(config([up.url], { circuitBreaker: { failureThreshold: 1, openMs: 1000, halfOpenRequests: 1, maxConcurrent: 10 } }), obs);
    const abort = new AbortController();
    const pending = forward(pool, request({ signal: abort.signal }));
    await waitFor(() => up.hits === 1);
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => upstreamClosed);
    expect(pool.inFlight).toBe(0);
    expect(pool.snapshot().circuit).toBe('closed');
    expect(obs.outcomes).toEqual([]);
  });

  it('aborting while the response body streams releases the request', async () => {
    const up = await upstream((_req, res) => res.writeHead(200).write('first chunk'));
    const pool = makePool(config([up.url]));
    const abort = new AbortController();
    const res = await forward(pool, request({ signal: abort.signal }));
    expect(pool.snapshot().targets[0]!.inFlight).toBe(1);
    abort.abort();
    await waitFor(() => pool.inFlight === 0);
    expect(pool.snapshot().targets[0]).toMatchObject({ inFlight: 0, healthy: true });
    expect(res.body.destroyed).toBe(true);
  });

  it('strips hop-by-hop response headers and keeps end-to-end ones', async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('connection', 'keep-alive, x-hop');
      res.setHeader('x-hop', 'secret-ish');
      res.setHeader('proxy-authenticate', 'Basic');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('content-type', 'text/plain');
      res.write('chunked');
      res.end();
    });
    const pool = makePool(config([up.url]));
    const res = await forward(pool, request({ headers: { connection: 'close', te: 'trailers', 'keep-alive': '1', expect: '100-continue' } }));
    expect(await text(res)).toBe('chunked');
    expect(Object.keys(res.headers).sort()).toEqual(['content-type', 'date', 'set-cookie']);
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});
