// The shape of portcullis.yaml after schema validation with defaults filled in. Mirrors
// portcullis.schema.json; only the loader sees it — the gateway consumes GatewayConfig (types.ts).
import type { LoggingConfig, MtlsMode, TlsVersion } from './types.js';

/** `{file: PATH}` or `{env: NAME}`: the only way a secret enters the config. */
export type RawSecretRef = { file: string; env?: undefined } | { env: string; file?: undefined };

/** Integer bytes, or a string such as "512kb". */
export type RawSize = number | string;

export interface RawRateLimitRule {
  ratePerSec: number;
  burst?: number;
}

export interface RawPool {
  targets: { url: string; weight: number }[];
  healthCheck: {
    enabled: boolean;
    path: string;
    intervalMs: number;
    timeoutMs: number;
    healthyThreshold: number;
    unhealthyThreshold: number;
  };
  passive: { consecutiveFailures: number; baseEjectionMs: number; maxEjectionMs: number };
  circuitBreaker: { failureThreshold: number; openMs: number; halfOpenRequests: number; maxConcurrent: number };
  tls?: { ca?: string; cert?: string; key?: RawSecretRef; servername?: string; rejectUnauthorized: boolean };
  connectionsPerTarget: number;
  keepAliveTimeoutMs: number;
  required: boolean;
}

export interface RawRoute {
  name: string;
  match: {
    hosts: string[];
    path: { exact?: string; prefix?: string; pattern?: string };
    methods: string[];
  };
  pool: string;
  stripPrefix: boolean;
  mtls: MtlsMode;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number };
  bodyLimit: RawSize;
  retries: number;
  rateLimit: { route?: RawRateLimitRule; client?: RawRateLimitRule };
}

export interface RawConfig {
  version: 1;
  dataDir: string;
  server: {
    host: string;
    port: number;
    tls: { cert: string; key: RawSecretRef; clientCa: string[]; minVersion: TlsVersion };
    maxHeaderBytes: RawSize;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    trustedProxies: string[];
    paths: { allowDoubleSlash: boolean; allowSemicolon: boolean; maxLength: number };
    requireSniHostMatch: boolean;
    drainTimeoutMs: number;
  };
  admin: {
    enabled: boolean;
    host: string;
    port: number;
    tls?: { cert: string; key: RawSecretRef; clientCa?: string[] };
    allowedIdentities: string[];
  };
  pki: { dir: string; trustDomain: string; revocationRefreshMs: number };
  logging: LoggingConfig;
  pools: Record<string, RawPool>;
  routes: RawRoute[];
}
