// Every error the gateway sends to a client is declared here, with its stable code, its HTTP status
// and what the caller should do next. Nothing else in gateway/ picks a status for an error. Messages
// never carry request data that could be secret (tokens, cookies, bodies) nor upstream internals.

export interface ErrorSpec {
  status: number;
  message: string;
  hint: string;
}

export const GATEWAY_ERRORS = {
  // Request hygiene (gateway/hygiene): rejected before routing, so the upstream never sees them.
  PCL_PATH_INVALID_ENCODING: { status: 400, message: 'The request path has invalid percent-encoding.', hint: 'Encode "%" as "%25" and use two hex digits after every "%".' },
  PCL_PATH_NOT_UTF8: { status: 400, message: 'The request path does not decode to valid UTF-8.', hint: 'Percent-encode the path as UTF-8.' },
  PCL_PATH_ENCODED_SEPARATOR: { status: 400, message: 'The request path contains an encoded "/" or "\\".', hint: 'Send path separators unencoded; encoded separators are ambiguous and refused.' },
  PCL_PATH_BACKSLASH: { status: 400, message: 'The request path contains a backslash.', hint: 'Use "/" as the path separator.' },
  PCL_PATH_DOUBLE_ENCODED: { status: 400, message: 'The request path is percent-encoded twice (it still holds "%XX" after decoding).', hint: 'Encode the path exactly once.' },
  PCL_PATH_NUL: { status: 400, message: 'The request path contains a NUL or control character.', hint: 'Remove control characters from the path.' },
  PCL_PATH_DOT_SEGMENT: { status: 400, message: 'The request path contains a "." or ".." segment.', hint: 'Resolve dot segments on the client before sending the request.' },
  PCL_PATH_DOUBLE_SLASH: { status: 400, message: 'The request path contains an empty segment ("//").', hint: 'Remove repeated slashes, or allow them with server.paths.allowDoubleSlash.' },
  PCL_PATH_SEMICOLON: { status: 400, message: 'The request path contains a ";" path parameter.', hint: 'Remove ";" parameters, or allow them with server.paths.allowSemicolon.' },
  PCL_PATH_TOO_LONG: { status: 414, message: 'The request target is too long.', hint: 'Shorten the path and query, or raise server.paths.maxLength.' },
  PCL_PATH_NOT_ABSOLUTE: { status: 400, message: 'The request target must be an absolute path starting with "/".', hint: 'Send origin-form request targets such as "/api/items".' },
  PCL_BAD_REQUEST: { status: 400, message: 'The request is malformed.', hint: 'Check the request line and headers.' },
  PCL_REQUEST_SMUGGLING: { status: 400, message: 'The request framing is ambiguous (Content-Length with Transfer-Encoding, or repeated Content-Length).', hint: 'Send exactly one of Content-Length or Transfer-Encoding.' },
  PCL_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.', hint: 'Send fewer or smaller headers, or raise server.maxHeaderBytes.' },
  PCL_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than this route allows.', hint: 'Send a smaller body, or raise the route\'s bodyLimit.' },
  PCL_REQUEST_TIMEOUT: { status: 408, message: 'The client did not send the request in time.', hint: 'Retry the request.' },

  // TLS and client identity.
  PCL_MISDIRECTED_REQUEST: { status: 421, message: 'The Host header does not match the TLS server name (SNI).', hint: 'Connect with the same host name you send in the Host header.' },
  PCL_CLIENT_CERT_REQUIRED: { status: 401, message: 'This route requires a client certificate.', hint: 'Present a client certificate issued by a CA this gateway trusts.' },
  PCL_CLIENT_CERT_INVALID: { status: 401, message: 'The client certificate was not accepted.', hint: 'Use a current certificate issued by a CA this gateway trusts.' },
  PCL_CLIENT_CERT_REVOKED: { status: 403, message: 'The client certificate has been revoked.', hint: 'Ask an operator for a new certificate (portcullis certs issue).' },
  PCL_ADMIN_FORBIDDEN: { status: 403, message: 'This client is not allowed on the admin API.', hint: 'Use a certificate whose identity is listed in admin.allowedIdentities.' },

  // Routing.
  PCL_ROUTE_NOT_FOUND: { status: 404, message: 'No route matches this request.', hint: 'Check the host, path and method against the gateway routes.' },
  PCL_METHOD_NOT_ALLOWED: { status: 405, message: 'The route does not allow this method.', hint: 'Use one of the methods listed in the Allow header.' },
  PCL_RATE_LIMITED: { status: 429, message: 'Too many requests.', hint: 'Wait for the number of seconds in Retry-After, then retry.' },

  // Upstream.
  PCL_UPSTREAM_UNAVAILABLE: { status: 503, message: 'No healthy upstream target is available.', hint: 'Retry later; operators should check the pool\'s health on the admin port.' },
  PCL_CIRCUIT_OPEN: { status: 503, message: 'The upstream pool is failing and its circuit breaker is open.', hint: 'Retry after Retry-After seconds.' },
  PCL_UPSTREAM_OVERLOADED: { status: 503, message: 'The upstream pool has too many requests in flight.', hint: 'Retry shortly with back-off.' },
  PCL_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream did not answer in time.', hint: 'Retry later, or raise the route\'s timeouts.' },
  PCL_UPSTREAM_ERROR: { status: 502, message: 'The upstream failed to answer.', hint: 'Retry later; operators should check the upstream\'s logs.' },

  // Gateway state.
  PCL_SHUTTING_DOWN: { status: 503, message: 'The gateway is shutting down.', hint: 'Retry against another gateway instance.' },
  PCL_NOT_READY: { status: 503, message: 'The gateway is not ready.', hint: 'Wait for /readyz to succeed.' },
  PCL_INTERNAL: { status: 500, message: 'The gateway hit an internal error.', hint: 'Retry; if it persists, report the request id to an operator.' },
} as const satisfies Record<string, ErrorSpec>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** A refusal the gateway sends to the client as JSON: `{ error: { code, message, hint, requestId } }`. */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly hint: string;
  /** Extra response headers (Allow, Retry-After). */
  readonly headers: Record<string, string> | undefined;

  constructor(code: GatewayErrorCode, headers?: Record<string, string>) {
    const spec = GATEWAY_ERRORS[code];
    super(spec.message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = spec.status;
    this.hint = spec.hint;
    this.headers = headers;
  }
}

/** The JSON body for an error response. Kept flat and small; the request id lets operators find the log line. */
export function errorBody(code: GatewayErrorCode, requestId: string | undefined): string {
  const spec = GATEWAY_ERRORS[code];
  return JSON.stringify({ error: { code, message: spec.message, hint: spec.hint, requestId } });
}
