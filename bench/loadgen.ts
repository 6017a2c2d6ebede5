// A small closed-loop HTTP/1.1 load generator, because wrk cannot present a TLS client certificate and
// the "Portcullis, mTLS on" row needs one. Every row is run through this too, so the mTLS row always has
// same-tool peers to be compared with. Closed loop like wrk: N keep-alive connections, one request in
// flight per connection (pipelining 1), next request as soon as the previous response is read.
//
// Usage: node --import tsx bench/loadgen.ts --url https://127.0.0.1:PORT/path [--connections 32]
//          [--duration 10] [--warmup 2] [--ca FILE] [--cert FILE --key FILE]
// Prints `MEASURE_START` when the warm-up ends (the parent samples CPU counters then), then one line
// `RESULT {json}` (see LoadgenResult) and exits 0; exits 1 with `RESULT {"error": ...}` if it could
// not get a single successful response.

import { readFileSync } from 'node:fs';
import { createHistogram, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

export interface LoadgenResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses outside 2xx; a row with any of these did not measure what it claims to. */
  non2xx: number;
  /** Status code counts, to explain non2xx. */
  statuses: Record<string, number>;
  /** Failed requests over the whole run, warm-up included (a warm-up failure is just as telling). */
  errors: number;
  firstError?: string;
}

function positiveNumber(name: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
  },
});
if (values.url === undefined) {
  process.stderr.write('usage: loadgen.ts --url URL [--connections N] [--duration S] [--warmup S] [--ca F] [--cert F --key F]\n');
  process.exit(2);
}
const target = new URL(values.url);
const connections = Math.floor(positiveNumber('connections', values.connections, 32));
const durationMs = positiveNumber('duration', values.duration, 10) * 1000;
const warmupMs = (values.warmup === '0' ? 0 : positiveNumber('warmup', values.warmup, 2)) * 1000;
const path = target.pathname + target.search;

const pool = new Pool(target.origin, {
  connections,
  pipelining: 1,
  // Long enough that idle gaps never close a connection mid-run; short enough that a hung server
  // still ends the run.
  keepAliveTimeout: 60_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
  connect: {
    // Same protocol floor as wrk is held to by the servers: this bench is about TLS 1.3 only.
    minVersion: 'TLSv1.3',
    rejectUnauthorized: values.ca !== undefined,
    ...(values.ca !== undefined ? { ca: readFileSync(values.ca) } : {}),
    ...(values.cert !== undefined && values.key !== undefined ? { cert: readFileSync(values.cert), key: readFileSync(values.key) } : {}),
  },
});

// Nanosecond resolution, up to 60 s: anything slower than that is a failure, not a latency.
const hist = createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
const statuses = new Map<number, number>();
let counted = 0;
let ok = 0;
let errors = 0;
let firstError: string | undefined;

const t0 = performance.now();
const measureStart = t0 + warmupMs;
const endAt = measureStart + durationMs;
let measuring = warmupMs === 0;
if (measuring) process.stdout.write('MEASURE_START\n');
const warmTimer = setTimeout(() => {
  measuring = true;
  process.stdout.write('MEASURE_START\n');
}, warmupMs);

/**
 * One closed-loop slot: send, and on completion send again until the deadline. Uses the raw dispatch
 * API rather than `pool.request()`: the generator shares core 0 with the upstream, and skipping the
 * per-response stream and promise roughly halves its CPU per request, which keeps the generator from
 * becoming the bottleneck before the proxy does.
 */
function slot(): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (): void => {
      if (performance.now() >= endAt) {
        resolve();
        return;
      }
      // Only requests *started* inside the window count, so warm-up traffic never leaks into results.
      const inWindow = measuring;
      const start = process.hrtime.bigint();
      let status = 0;
      pool.dispatch(
        { origin: target.origin, path, method: 'GET' },
        {
          // Its presence is what tells undici this is a new-style (v7) handler.
          onRequestStart() {},
          onResponseStart(_controller, statusCode) {
            status = statusCode;
          },
          onResponseData() {
            // The body is read (and discarded) by undici either way; nothing to keep.
          },
          onResponseEnd() {
            ok++;
            if (inWindow) {
              hist.record(process.hrtime.bigint() - start);
              counted++;
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
            }
            next();
          },
          onResponseError(_controller, err) {
            errors++;
            firstError ??= err.message;
            // Without this a refused connection would spin the loop at full speed until the deadline.
            if (ok === 0 && errors >= 200) {
              reject(new Error(`no successful response after ${errors} attempts: ${firstError}`));
              return;
            }
            setTimeout(next, 10);
          },
        },
      );
    };
    next();
  });
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

try {
  await Promise.all(Array.from({ length: connections }, () => slot()));
  const seconds = (performance.now() - measureStart) / 1000;
  let non2xx = 0;
  for (const [code, n] of statuses) if (code < 200 || code > 299) non2xx += n;
  const result: LoadgenResult = {
    requests: counted,
    seconds: Math.round(seconds * 1000) / 1000,
    reqPerSec: Math.round((counted / seconds) * 10) / 10,
    p50Ms: ms(hist.percentile(50)),
    p90Ms: ms(hist.percentile(90)),
    p99Ms: ms(hist.percentile(99)),
    maxMs: ms(hist.max),
    non2xx,
    statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  await pool.close();
} catch (err) {
  clearTimeout(warmTimer);
  process.stdout.write(`RESULT ${JSON.stringify({ error: (err as Error).message })}\n`);
  await pool.destroy();
  process.exit(1);
}
