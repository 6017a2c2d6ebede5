// The typed, validated, fully resolved configuration the gateway runs on. `loadConfig` turns a
// portcullis.yaml (plus PORTCULLIS_* environment overrides) into this; nothing downstream ever sees raw
// YAML. All relative paths are already resolved against the config file's directory, secret references
// are already read, durations are milliseconds and sizes are bytes.

export type MtlsMode = 'required' | 'optional' | 'off';
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** PEM material read from disk (or an env var for secrets) at load time. */
export interface TlsMaterial {
  /** Server (or client) certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. Secret: never logged. */
  key: string;
  /** Where each came from, for error messages and file watching. Never the contents. */
  sources: { cert: string; key: string };
}

export interface ServerConfig {
  host: string;
  port: number;
  tls: TlsMaterial & {
    /** CA bundles trusted to sign client certificates (PEM strings), possibly several. */
    clientCa: string[];
    clientCaSources: string[];
    minVersion: TlsVersion;
  };
  /** Largest total size of the request head; larger gets 431. */
  maxHeaderBytes: number;
  /** Whole-request ceiling for the client side (headers + body), ms. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** X-Forwarded-For is honoured only from peers inside these CIDRs. */
  trustedProxies: string[];
  paths: PathRules;
  /** When true (default), a TLS SNI name that differs from the Host header gives 421. */
  requireSniHostMatch: boolean;
  /** How long graceful shutdown waits for in-flight requests before closing sockets, ms. */
  drainTimeoutMs: number;
}

export interface PathRules {
  allowDoubleSlash: boolean;
  allowSemicolon: boolean;
  /** Maximum raw request-target length in bytes (path + query). */
  maxLength: number;
}

export interface AdminConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Admin TLS; defaults to the server's certificate and client CAs. mTLS is always required. */
  tls: TlsMaterial & { clientCa: string[]; clientCaSources: string[] };
  /** Client identities (SPIFFE URI or CN) allowed on the admin port; empty = any verified cert. */
  allowedIdentities: string[];
}

export interface PkiConfig {
  /** Directory holding the CA and the issued-certificate index (see pki/). */
  dir: string;
  trustDomain: string;
  /** How often the gateway re-reads the revocation list, ms. */
  revocationRefreshMs: number;
}

export interface RateLimitRule {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size. */
  burst: number;
}

export interface RouteRateLimit {
  /** One bucket for the whole route. */
  route?: RateLimitRule;
  /** One bucket per client: mTLS identity when there is one, else client IP. */
  client?: RateLimitRule;
}

export type PathMatch =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'pattern'; value: string };

export interface RouteConfig {
  name: string;
  /** Host names this route serves (lower-case, no port); `*.example.com` wildcards; empty = any. */
  hosts: string[];
  path: PathMatch;
  /** Upper-case methods; empty = any. */
  methods: string[];
  pool: string;
  stripPrefix: boolean;
  mtls: MtlsMode;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number };
  bodyLimitBytes: number;
  /** Extra attempts on another target, only for idempotent methods and connection failures. */
  retries: number;
  rateLimit: RouteRateLimit;
}

export interface HealthCheckConfig {
  enabled: boolean;
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface PassiveHealthConfig {
  /** Consecutive failures (connection errors, 5xx, timeouts) that eject a target. */
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
}

export interface CircuitBreakerConfig {
  /** Consecutive failed requests across the pool that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before letting probe requests through, ms. */
  openMs: number;
  /** Probe requests allowed while half-open. */
  halfOpenRequests: number;
  /** Ceiling of concurrent in-flight requests to the pool (Envoy's max_requests). */
  maxConcurrent: number;
}

export interface UpstreamTlsConfig {
  /** CA bundle (PEM) used to verify the upstream; undefined = system roots. */
  ca?: string;
  /** Client certificate for mTLS to the upstream. */
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export interface TargetConfig {
  /** http(s)://host:port, no path. */
  url: string;
  weight: number;
}

export interface PoolConfig {
  name: string;
  targets: TargetConfig[];
  healthCheck: HealthCheckConfig;
  passive: PassiveHealthConfig;
  circuitBreaker: CircuitBreakerConfig;
  tls?: UpstreamTlsConfig;
  /** Max keep-alive connections per target. */
  connectionsPerTarget: number;
  keepAliveTimeoutMs: number;
  /** When true (default), /readyz needs a healthy target in this pool. */
  required: boolean;
}

export interface LoggingConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** One structured line per request (request id, route, status, latency). Default true. */
  accessLog: boolean;
}

export interface GatewayConfig {
  version: 1;
  /** Absolute path of the file this was loaded from (for reload and messages). */
  sourcePath: string;
  dataDir: string;
  server: ServerConfig;
  admin: AdminConfig;
  pki: PkiConfig;
  logging: LoggingConfig;
  pools: Record<string, PoolConfig>;
  routes: RouteConfig[];
}
