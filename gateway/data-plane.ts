// The data port: one fastify instance over HTTPS whose single catch-all route runs the request path
// of ARCHITECTURE.md in order: framing → path hygiene → SNI/Host → route → client certificate →
// rate limit → proxy. Routing is our own (compiled from config, swapped on reload); fastify provides the
// server lifecycle, hooks, logging and graceful close.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Transform, type Readable } from 'node:stream';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig, RouteConfig } from './config/types.js';
import { GatewayError, errorBody, type GatewayErrorCode, GATEWAY_ERRORS } from './errors.js';
import { connectionIdentity, decideClientCert } from './client-identity.js';
import {
  buildUpstreamHeaders,
  checkFraming,
  clientAddress,
  clientCertHeader,
  normalizeRequestTarget,
  requestIdFrom,
  xfccValue,
} from './hygiene/index.js';
import { ClientAbort, IDEMPOTENT_METHODS, forward } from './upstream/index.js';
import { checkRateLimit } from './ratelimit.js';
import type { GatewayMetrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import type { TokenBucketStore } from '../store/index.js';
import type { PeerIdentity, TrustDomainAuthority } from '../pki/index.js';

/** What the data plane needs from the gateway that owns it; read on every request. */
export interface DataPlaneContext {
  runtime(): Runtime;
  revokedSerials(): ReadonlySet<string>;
  readonly trustAuthority: TrustDomainAuthority;
  readonly buckets: TokenBucketStore;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  accessLog(): boolean;
}

interface RequestState {
  requestId: string;
  route: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    pcl: RequestState;
  }
}

// Methods a route must name explicitly: CONNECT would turn the gateway into a tunnel and TRACE reflects
// request headers (cross-site tracing), so "any method" does not include them.
const EXPLICIT_ONLY_METHODS = new Set(['CONNECT', 'TRACE']);
const ANY_METHOD_ALLOW = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

export function tlsServerOptions(config: GatewayConfig): https.ServerOptions {
  const { tls } = config.server;
  return {
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCa.length > 0 ? tls.clientCa : undefined,
    // Client certificates are requested on every handshake but verified per route, so routes with
    // `mtls: off` keep working for clients without one and a bad certificate gets a JSON error naming
    // the problem instead of an opaque handshake failure.
    requestCert: tls.clientCa.length > 0,
    rejectUnauthorized: false,
    minVersion: tls.minVersion,
    maxHeaderSize: config.server.maxHeaderBytes,
    requestTimeout: config.server.requestTimeoutMs,
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    // Never let the parser accept the lenient forms that make request smuggling possible.
    insecureHTTPParser: false,
    // Node would answer a missing Host itself with a bare 400; our handler refuses it with a JSON code.
    requireHostHeader: false,
  };
}

/** Map an HTTP parser error to our error code; used before fastify ever sees the request. */
function clientErrorCode(err: NodeJS.ErrnoException): GatewayErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'PCL_HEADERS_TOO_LARGE';
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE':
      return 'PCL_REQUEST_SMUGGLING';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'PCL_REQUEST_TIMEOUT';
    default:
      return 'PCL_BAD_REQUEST';
  }
}

export function createDataPlane(config: GatewayConfig, ctx: DataPlaneContext) {
  const app = Fastify({
    serverFactory: (handler) => https.createServer(tlsServerOptions(config), handler),
    loggerInstance: ctx.logger,
    childLoggerFactory: (logger) => logger,
    // Access lines are written by our own onResponse hook (data port) with the fields operators need.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req: IncomingMessage) => requestIdFrom(req.headers['x-request-id']),
    return503OnClosing: true,
    bodyLimit: 1024 * 1024 * 1024,
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      const code = clientErrorCode(err);
      ctx.metrics.rejected.inc({ code });
      endWithError(socket, code, undefined);
    },
    // Fastify's own URL errors (bad encodings it notices first) go through the same hygiene checks.
    frameworkErrors: (_error, request, reply) => handle(ctx, request, reply),
  });

  // Node hands CONNECT to this event, never to the request handler, and without a listener it drops the
  // socket with no answer. The gateway never tunnels, so every CONNECT gets a clear refusal.
  app.server.on('connect', (req: IncomingMessage, socket: Socket) => {
    ctx.metrics.rejected.inc({ code: 'PCL_METHOD_NOT_ALLOWED' });
    endWithError(socket, 'PCL_METHOD_NOT_ALLOWED', requestIdFrom(req.headers['x-request-id']));
  });

  app.decorateRequest('pcl', null as unknown as RequestState);
  // Bodies are streamed to the upstream untouched: no parser may consume them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req: FastifyRequest, _payload: IncomingMessage, done: (err: Error | null) => void) => done(null));

  app.route({
    // Other methods (WebDAV, TRACE, ...) reach the same handler through the not-found handler.
    method: ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'],
    url: '/*',
    handler: (request, reply) => handle(ctx, request, reply),
  });
  app.setNotFoundHandler((request, reply) => handle(ctx, request, reply));

  app.addHook('onResponse', (request, reply, done) => {
    const state = request.pcl;
    const route = state?.route ?? '';
    ctx.metrics.observeRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    if (ctx.accessLog()) {
      request.log.info(
        { reqId: state?.requestId ?? request.id, route, method: request.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request',
      );
    }
    done();
  });
  return app;
}

/** An error response written straight to a socket that fastify does not own (parser errors, CONNECT), then close. */
function endWithError(socket: Socket, code: GatewayErrorCode, requestId: string | undefined): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(code, requestId);
  socket.end(
    `HTTP/1.1 ${GATEWAY_ERRORS[code].status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      (requestId !== undefined ? `X-Request-Id: ${requestId}\r\n` : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function sendError(ctx: DataPlaneContext, reply: FastifyReply, code: GatewayErrorCode, requestId: string, headers?: Record<string, string>): FastifyReply {
  ctx.metrics.rejected.inc({ code });
  const spec = GATEWAY_ERRORS[code];
  reply.code(spec.status).header('content-type', 'application/json; charset=utf-8').header('x-request-id', requestId);
  if (headers !== undefined) reply.headers(headers);
  // A request we refused for its framing may have left bytes on the connection we cannot trust.
  if (code === 'PCL_REQUEST_SMUGGLING' || code === 'PCL_BAD_REQUEST') reply.header('connection', 'close');
  return reply.send(errorBody(code, requestId));
}

/** Lower-cased host without port from a Host header; undefined when malformed. */
export function hostOf(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined || hostHeader.length === 0 || hostHeader.length > 255) return undefined;
  let host = hostHeader.toLowerCase();
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return host.slice(1, end);
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined;
    host = host.slice(0, colon);
  }
  if (!/^[a-z0-9.-]+$/.test(host)) return undefined;
  return host;
}

async function handle(ctx: DataPlaneContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const raw = request.raw;
  const requestId = request.id as string;
  const state: RequestState = { requestId, route: '' };
  request.pcl = state;

  const framing = checkFraming(raw.rawHeaders);
  if (framing !== null) return sendError(ctx, reply, framing, requestId);

  const rt = ctx.runtime();
  const target = normalizeRequestTarget(raw.url ?? '', rt.pathRules);
  if (!target.ok) return sendError(ctx, reply, target.code, requestId);

  const host = hostOf(raw.headers.host);
  if (host === undefined) return sendError(ctx, reply, 'PCL_BAD_REQUEST', requestId);
  const socket = raw.socket as TLSSocket;
  if (rt.requireSniHostMatch) {
    const sni = socket.servername;
    if (typeof sni === 'string' && sni.length > 0 && sni.toLowerCase() !== host) {
      return sendError(ctx, reply, 'PCL_MISDIRECTED_REQUEST', requestId);
    }
  }

  const method = raw.method ?? 'GET';
  const match = rt.router.match(host, target.path, method);
  if (!match.ok) {
    return sendError(ctx, reply, match.code, requestId, match.code === 'PCL_METHOD_NOT_ALLOWED' ? { allow: match.allow.join(', ') } : undefined);
  }
  const route = match.route;
  state.route = route.name;
  if (route.methods.length === 0 && EXPLICIT_ONLY_METHODS.has(method)) {
    // RFC 9110 section 15.5.6: a 405 carries Allow; "any method" routes serve all but these two.
    return sendError(ctx, reply, 'PCL_METHOD_NOT_ALLOWED', requestId, { allow: ANY_METHOD_ALLOW });
  }

  const cert = decideClientCert(route.mtls, route.mtls === 'off' ? NO_CONN : connectionIdentity(socket, ctx.trustAuthority), ctx.revokedSerials());
  if (!cert.ok) return sendError(ctx, reply, cert.code, requestId);

  const peerIp = raw.socket.remoteAddress ?? '';
  const client = clientAddress(peerIp, raw.headers['x-forwarded-for'], rt.trustedProxies);

  if (route.rateLimit.route !== undefined || route.rateLimit.client !== undefined) {
    const verdict = await checkRateLimit(ctx.buckets, route, cert.peer?.id ?? client.clientIp);
    if (!verdict.allowed) {
      ctx.metrics.rateLimited.inc({ route: route.name, scope: verdict.scope ?? 'route' });
      return sendError(ctx, reply, 'PCL_RATE_LIMITED', requestId, { 'retry-after': String(verdict.retryAfterSec ?? 1) });
    }
  }

  const body = requestBody(raw, route);
  if (body instanceof GatewayError) return sendError(ctx, reply, body.code, requestId);

  const pool = rt.pools.get(route.pool);
  if (pool === undefined) return sendError(ctx, reply, 'PCL_UPSTREAM_UNAVAILABLE', requestId);

  const identityHeaders = cert.peer === undefined ? undefined : identityHeadersFor(cert.peer);
  const headers = buildUpstreamHeaders(raw.headers, {
    clientIp: client.clientIp,
    peerIp,
    peerTrusted: client.peerTrusted,
    chain: client.chain,
    proto: 'https',
    host: raw.headers.host ?? host,
    requestId,
    ...(identityHeaders !== undefined ? { identityHeaders } : {}),
  });

  const abort = new ClientAbort();
  (reply.raw as AbortableResponse)[kAbort] = abort;
  reply.raw.once('close', abortIfUnfinished);

  try {
    const res = await forward(pool, {
      method,
      path: match.upstreamPath(target.upstreamPath) + target.query,
      headers,
      body,
      idempotent: IDEMPOTENT_METHODS.has(method),
      retries: route.retries,
      timeouts: route.timeouts,
      signal: abort,
    });
    reply.code(res.statusCode);
    reply.headers(res.headers);
    reply.header('x-request-id', requestId);
    return reply.send(res.body);
  } catch (err) {
    // The client went away: nothing to answer, and not the upstream's fault.
    if (abort.aborted) return reply;
    // forward() reports a request body over the limit as PCL_BODY_TOO_LARGE, upstream trouble as
    // PCL_UPSTREAM_*; anything else is our bug and gets the generic code.
    if (err instanceof GatewayError) return sendError(ctx, reply, err.code, requestId, err.headers);
    request.log.warn({ reqId: requestId, route: route.name, err: describe(err) }, 'proxy failed');
    return sendError(ctx, reply, 'PCL_INTERNAL', requestId);
  }
}

const NO_CONN = { presented: false, verified: false } as const;

// The identity headers depend only on the certificate, so they are built once per connection's peer
// (base64 of the DER for Client-Cert is the costly part) and reused for every request on it.
const identityHeaderCache = new WeakMap<PeerIdentity, Readonly<Record<string, string>>>();

function identityHeadersFor(peer: PeerIdentity): Readonly<Record<string, string>> {
  let headers = identityHeaderCache.get(peer);
  if (headers === undefined) {
    headers = {
      'x-forwarded-client-cert': xfccValue({ hash: peer.fingerprint256, subject: peer.subject, ...(peer.uri !== undefined ? { uri: peer.uri } : {}) }),
      'client-cert': clientCertHeader(peer.raw),
    };
    identityHeaderCache.set(peer, headers);
  }
  return headers;
}

const kAbort = Symbol('portcullis.abort');
type AbortableResponse = ServerResponse & { [kAbort]?: ClientAbort };

// One shared listener (no closure per request): a response that closes before it finished means the
// client went away, so the upstream request is cancelled rather than left to run to completion.
function abortIfUnfinished(this: AbortableResponse): void {
  const abort = this[kAbort];
  this[kAbort] = undefined;
  if (abort !== undefined && !this.writableFinished) abort.abort();
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * The body to stream upstream, or null when the request has none (so undici does not switch a GET to
 * chunked encoding). A declared length over the route's limit is refused before any byte is read; a
 * chunked body is counted as it streams and cut off at the limit.
 */
function requestBody(raw: IncomingMessage, route: RouteConfig): Readable | null | GatewayError {
  const cl = raw.headers['content-length'];
  const chunked = raw.headers['transfer-encoding'] !== undefined;
  if (cl !== undefined && !chunked) {
    const length = Number(cl);
    if (length > route.bodyLimitBytes) return new GatewayError('PCL_BODY_TOO_LARGE');
    return length === 0 ? null : raw;
  }
  if (!chunked) return null;
  return raw.pipe(new BodyLimit(route.bodyLimitBytes));
}

class BodyLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      cb(new GatewayError('PCL_BODY_TOO_LARGE'));
      return;
    }
    cb(null, chunk);
  }
}

export type { ServerResponse };
