// Forward one request to a pool and hand back the streaming response. This is the one place that
// decides retries, maps upstream failures to client-facing errors and feeds health and the breaker.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { GatewayError, type GatewayErrorCode } from '../errors.js';
import { classifyUpstreamError, failureCode, isRetryableFailure, isUpstreamBodyFailure } from './classify.js';
import { stripFixedHopByHop, stripHopByHop, type HeaderMap } from './hop-by-hop.js';
import type { UpstreamPool } from './pool.js';
import { relayBody, sourceFailed } from './request-body.js';
import type { Target } from './target.js';
import type { ClientAbort } from './abort.js';

/** Methods whose repetition has the same effect as one request (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export interface ForwardTimeouts {
  /** Not applied per request: undici fixes the connect timeout per pool (see UpstreamPoolOptions). */
  connectMs: number;
  /** From the request being sent to the complete response head. */
  headersMs: number;
  /** Longest gap between two response body chunks. */
  bodyMs: number;
}

export interface ForwardRequest {
  method: string;
  /** Upstream path including the query string. */
  path: string;
  /** Request headers with lower-case names. Taken over: hop-by-hop entries are deleted in place. */
  headers: HeaderMap;
  /** Streamed to the upstream as it arrives; null for no body. */
  body: Readable | null;
  /** Retries need this AND an idempotent method AND no body; see `forward`. */
  idempotent: boolean;
  /** Extra attempts after a connection failure. */
  retries: number;
  timeouts: ForwardTimeouts;
  /** Abort when the client goes away; the upstream request is aborted with it. */
  signal?: AbortSignal | ClientAbort;
}

export interface ForwardResponse {
  statusCode: number;
  /** Upstream response headers minus hop-by-hop ones. */
  headers: Record<string, string | string[]>;
  /** Must be consumed or destroyed: the request counts as in flight until it closes. */
  body: Readable;
  /** URL of the target that answered (for logs). */
  target: string;
}

/**
 * Send one request to the pool and resolve with the response head and a streaming body.
 *
 * Retries (up to `retries`, each to a target not tried yet when one is available) happen only when all
 * of these hold: `idempotent` is set, the method is idempotent, there is no request body (undici
 * consumes a body stream, so it cannot be replayed without buffering it), and the attempt failed
 * before any response (connection refused/reset, connect timeout, socket closed before headers).
 *
 * Rejects with a GatewayError: PCL_UPSTREAM_OVERLOADED / PCL_CIRCUIT_OPEN (with Retry-After) before
 * anything is sent, PCL_UPSTREAM_UNAVAILABLE when no target could be reached, PCL_UPSTREAM_TIMEOUT on
 * a headers timeout, PCL_UPSTREAM_ERROR otherwise. The message never carries upstream error text; the
 * original error is on `cause` for server logs. A failure of the request body itself rethrows the
 * body's GatewayError (e.g. PCL_BODY_TOO_LARGE) or PCL_BAD_REQUEST. When `signal` aborts, rejects with
 * `signal.reason` and counts neither against the target nor the circuit.
 *
 * @example
 * const res = await forward(pool, { method: 'GET', path: '/items?x=1', headers, body: null,
 *   idempotent: true, retries: 1, timeouts: route.timeouts, signal: abort.signal });
 * reply.code(res.statusCode).headers(res.headers).send(res.body);
 */
export async function forward(pool: UpstreamPool, req: ForwardRequest): Promise<ForwardResponse> {
  const probe = pool.admit();
  const { signal, headers } = req;
  stripFixedHopByHop(headers);
  // Node's HTTP server already answered any "Expect: 100-continue"; undici refuses to send it.
  if (headers.expect !== undefined) delete headers.expect;

  let body: Readable | null = null;
  if (req.body !== null) {
    if (sourceFailed(req.body)) return giveUp(pool, probe, undefined, clientBodyError(req.body));
    body = relayBody(req.body);
  }
  const maxAttempts = body === null && req.idempotent && IDEMPOTENT_METHODS.has(req.method) ? 1 + Math.max(0, req.retries) : 1;
  const options: Dispatcher.RequestOptions = {
    method: req.method as Dispatcher.HttpMethod,
    path: req.path,
    headers,
    body,
    // undici takes an AbortSignal or any emitter of 'abort' (ClientAbort is the latter).
    signal: (signal ?? null) as Dispatcher.RequestOptions['signal'],
    headersTimeout: req.timeouts.headersMs,
    bodyTimeout: req.timeouts.bodyMs,
  };

  let tried: Target[] | undefined;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    // Prefer a target not tried yet; fall back to a tried one that is still available (a reset on a
    // reused keep-alive connection usually succeeds on a fresh connection to the same target).
    const target = tried === undefined ? pool.pick() : (pool.pick(tried) ?? pool.pick());
    if (target === undefined) {
      return giveUp(pool, probe, tried === undefined ? undefined : false, upstreamError('PCL_UPSTREAM_UNAVAILABLE', lastError));
    }
    target.inFlight++;
    const started = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await target.dispatcher.request(options);
    } catch (err) {
      target.inFlight--;
      const seconds = (performance.now() - started) / 1000;
      if (signal?.aborted === true) return giveUp(pool, probe, undefined, signal.reason ?? err);
      if (req.body !== null && sourceFailed(req.body)) return giveUp(pool, probe, undefined, clientBodyError(req.body));
      const kind = classifyUpstreamError(err);
      if (kind === 'closed' || kind === 'invalid') return giveUp(pool, probe, undefined, upstreamError(failureCode(kind), err));
      pool.observer.upstreamResponse(pool.name, target.url, seconds, kind === 'timeout' ? 'timeout' : 'error');
      target.recordFailure();
      if (attempt < maxAttempts && isRetryableFailure(kind)) {
        (tried ??= []).push(target);
        lastError = err;
        continue;
      }
      return giveUp(pool, probe, false, upstreamError(failureCode(kind), err));
    }
    return answered(pool, probe, target, res, (performance.now() - started) / 1000);
  }
}

function answered(pool: UpstreamPool, probe: boolean, target: Target, res: Dispatcher.ResponseData, seconds: number): ForwardResponse {
  const statusCode = res.statusCode;
  if (statusCode >= 500) {
    pool.observer.upstreamResponse(pool.name, target.url, seconds, 'http_5xx');
    target.recordFailure();
    pool.settle(probe, false);
  } else {
    pool.observer.upstreamResponse(pool.name, target.url, seconds, 'ok');
    target.recordSuccess();
    pool.settle(probe, true);
  }
  const headers = res.headers as HeaderMap;
  stripHopByHop(headers);
  trackBody(res.body, target, pool);
  // undici's parsed headers never hold undefined values; the wider type is only its declaration.
  return { statusCode, headers: headers as Record<string, string | string[]>, body: res.body, target: target.url };
}

/**
 * End an admitted request that produced no response. `verdict` false counts a failure against the
 * circuit; undefined means the upstream is not to blame (client went away, nothing was tried).
 */
function giveUp(pool: UpstreamPool, probe: boolean, verdict: false | undefined, error: unknown): never {
  if (verdict === undefined) pool.abandon(probe);
  else pool.settle(probe, verdict);
  pool.release();
  throw error;
}

function upstreamError(code: GatewayErrorCode, cause: unknown): GatewayError {
  const error = new GatewayError(code);
  // Upstream details are for server logs only; GatewayError's message is the fixed client-facing text.
  if (cause !== undefined) error.cause = cause;
  return error;
}

function clientBodyError(source: Readable): GatewayError {
  const err = source.errored;
  if (err instanceof GatewayError) return err;
  return upstreamError('PCL_BAD_REQUEST', err ?? undefined);
}

const kTarget = Symbol('portcullis.target');
const kPool = Symbol('portcullis.pool');

interface TrackedBody extends Readable {
  [kTarget]?: Target;
  [kPool]?: UpstreamPool;
}

function trackBody(body: Readable, target: Target, pool: UpstreamPool): void {
  const tracked = body as TrackedBody;
  tracked[kTarget] = target;
  tracked[kPool] = pool;
  // One shared listener instead of a closure per request; 'close' fires once, after end or destroy.
  body.on('close', onResponseClose);
}

function onResponseClose(this: TrackedBody): void {
  const target = this[kTarget];
  const pool = this[kPool];
  if (target === undefined || pool === undefined) return;
  this[kTarget] = undefined;
  this[kPool] = undefined;
  target.inFlight--;
  pool.release();
  // A body cut off by the upstream (reset, body timeout, short body) counts against the target; one
  // we abandoned ourselves (client gone, caller destroyed it) does not.
  if (this.errored != null && isUpstreamBodyFailure(this.errored)) target.recordFailure();
}
