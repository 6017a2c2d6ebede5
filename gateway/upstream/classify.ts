// Which upstream failures may be retried, and which client-facing error each becomes. Kept apart from
// the proxy loop so the one decision that matters for safety (was the request possibly seen by the
// upstream?) is in one small table.
import type { GatewayErrorCode } from '../errors.js';

/**
 * - `refused`: the request never reached the upstream (connection refused, unreachable, DNS, connect
 *   timeout). Safe to retry anywhere; the client is told the pool is unavailable.
 * - `reset`: the connection died before response headers; the upstream may have seen the request.
 * - `timeout`: response headers (or body) did not arrive in time.
 * - `closed`: our own undici pool was closed (config reload, shutdown); not the target's fault.
 * - `invalid`: undici refused the request itself (a header it will not send); not the target's fault.
 * - `other`: anything else, including TLS verification failures.
 */
export type UpstreamFailure = 'refused' | 'reset' | 'timeout' | 'closed' | 'invalid' | 'other';

const BY_CODE: Readonly<Record<string, UpstreamFailure>> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EHOSTDOWN: 'refused',
  ENOTFOUND: 'refused',
  EAI_AGAIN: 'refused',
  EADDRNOTAVAIL: 'refused',
  UND_ERR_CONNECT_TIMEOUT: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  UND_ERR_DESTROYED: 'closed',
  UND_ERR_CLOSED: 'closed',
  UND_ERR_INVALID_ARG: 'invalid',
  UND_ERR_NOT_SUPPORTED: 'invalid',
};

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  // Happy-eyeballs connects fail with an AggregateError holding one error per address.
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
  if (e.cause !== undefined && e.cause !== err) return errorCode(e.cause);
  return undefined;
}

/** Classify an error thrown by undici before response headers arrived. */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = errorCode(err);
  return (code !== undefined ? BY_CODE[code] : undefined) ?? 'other';
}

/** Only failures that happened before the upstream produced a response may be retried. */
export function isRetryableFailure(kind: UpstreamFailure): boolean {
  return kind === 'refused' || kind === 'reset';
}

/** The client-facing code for a final (not retried) upstream failure. */
export function failureCode(kind: UpstreamFailure): GatewayErrorCode {
  switch (kind) {
    case 'refused':
    case 'closed':
      return 'PCL_UPSTREAM_UNAVAILABLE';
    case 'timeout':
      return 'PCL_UPSTREAM_TIMEOUT';
    case 'invalid':
      return 'PCL_BAD_REQUEST';
    default:
      return 'PCL_UPSTREAM_ERROR';
  }
}

/**
 * True when a response body stream died because of the upstream (reset, body timeout, truncated body),
 * as opposed to our side abandoning it (client went away, caller destroyed it).
 */
export function isUpstreamBodyFailure(err: unknown): boolean {
  const code = errorCode(err);
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return true;
  const kind = code !== undefined ? BY_CODE[code] : undefined;
  return kind === 'reset' || kind === 'timeout';
}
