// `npm run bench -- proxy`: what does Portcullis cost as a reverse proxy, next to plain fastify +
// @fastify/reply-from and next to HAProxy, on the same machine, same run, same upstream?
//
// Layout (2-core box): the upstream and the load generator share core 0, each proxy under test gets
// core 1 to itself, so the proxy is the thing that saturates. All client->proxy traffic is TLS 1.3,
// proxy->upstream is plain HTTP/1.1, keep-alive on both sides. Absolute numbers on a noisy 2-core box
// mean little; the ratios between rows of the same run and the same generator are the result.
// Every peer is started once and kept running; the run is BENCH_ROUNDS rounds, each measuring every
// row once (rows interleaved, start position rotated per round), and the table reports per-row
// medians over the rounds, so a noisy moment hits one sample of each row rather than a whole row.
// See docs/bench.md.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { makeBenchCerts, type BenchCerts } from './lib/certs.js';
import { runLoadgen } from './lib/loadgen-runner.js';
import { canPin, freePort, hasCommand, onCleanup, REPO_ROOT, runCleanups, spawnChild, waitForPort, type CpuDelta, type Spawned } from './lib/procs.js';
import { runWrk } from './lib/wrk.js';

const UPSTREAM_CPU = 0;
const PROXY_CPU = 1;
const GENERATOR_CPU = 0;

type Generator = 'wrk' | 'loadgen';
type PeerName = 'fastify' | 'haproxy' | 'portcullis';

interface RowSpec {
  id: 'fastify' | 'haproxy' | 'portcullis-mtls-off' | 'portcullis-mtls-on';
  name: string;
  peer: PeerName;
  path: string;
  /** The row needs a client certificate: wrk cannot do it, loadgen presents bench/.../client.crt. */
  mtls: boolean;
}

const ROWS: RowSpec[] = [
  { id: 'fastify', name: 'fastify + reply-from', peer: 'fastify', path: '/open/items', mtls: false },
  { id: 'haproxy', name: 'HAProxy', peer: 'haproxy', path: '/open/items', mtls: false },
  { id: 'portcullis-mtls-off', name: 'Portcullis, mTLS off', peer: 'portcullis', path: '/open/items', mtls: false },
  { id: 'portcullis-mtls-on', name: 'Portcullis, mTLS on', peer: 'portcullis', path: '/mtls/items', mtls: true },
];

/** The numbers one measurement produces (a round) or summarises (a row's medians). */
interface Measurement {
  reqPerSec?: number;
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  requests?: number;
  seconds?: number;
  non2xx?: number;
  errors?: number;
  /** CPU used by the proxy process during the measured window, % of one core (100 = saturated). */
  proxyCpuPct?: number;
  /**
   * Requests per second of proxy CPU (req/s / proxy cores used). The fairer comparison when a row
   * could not saturate the proxy (generator or upstream bound): it compares cost per request.
   */
  reqPerProxyCpuSec?: number;
  upstreamCpuPct?: number;
  /**
   * Core-1 time used by anything other than the proxy (other jobs on a shared box, kernel work not
   * charged to the proxy). Only when pinned. High values mean this row was disturbed: re-run it.
   */
  otherOnProxyCorePct?: number;
}

/** One measurement of one row in one round. */
export interface RoundResult extends Measurement {
  round: number;
  status: 'ok' | 'failed';
  reason?: string;
  notes: string[];
}

/**
 * A row over all rounds. The numeric fields are MEDIANS over the rounds that succeeded (requests,
 * seconds, non2xx and errors are totals); `rounds` keeps every round's own values.
 */
export interface RowResult extends Measurement {
  id: RowSpec['id'];
  name: string;
  generator: Generator;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  ratioVsFastify?: number;
  ratioVsHaproxy?: number;
  /** req/s of each round in round order; null where that round failed. */
  reqPerSecRounds?: Array<number | null>;
  rounds?: RoundResult[];
  notes: string[];
}

/** A row that cannot run for a known, expected reason (not a failure of the thing measured). */
class SkipError extends Error {}

interface Settings {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  pin: boolean;
}

function intFromEnv(name: string, dflt: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  // wrk's -d takes whole seconds, so fractional durations would silently differ between generators.
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

/**
 * The Portcullis config for the bench. Kept in this one function because the config schema is still
 * settling: if a key name moves, this is the only place to change.
 */
function portcullisYaml(tmp: string, certs: BenchCerts, port: number, upstreamPort: number): string {
  return `version: 1
dataDir: ${tmp}
server:
  host: 127.0.0.1
  port: ${port}
  tls: { cert: ${certs.serverCert}, key: { file: ${certs.serverKey} }, clientCa: [${certs.caCert}] }
admin: { enabled: false }
pki: { dir: ${join(tmp, 'pki')} }
logging: { level: warn, accessLog: false }
pools:
  bench:
    targets: [{ url: http://127.0.0.1:${upstreamPort}, weight: 1 }]
    healthCheck: { enabled: false }
routes:
  - name: open
    match: { path: { prefix: /open } }
    pool: bench
    mtls: off
  - name: mtls
    match: { path: { prefix: /mtls } }
    pool: bench
    mtls: required
`;
}

function haproxyCfg(port: number, upstreamPort: number, combinedPem: string): string {
  // Only what is on the request path: no logging, chroot or stats, so HAProxy is measured at its
  // leanest, the way a tuned production edge would run it.
  return `global
    nbthread 1
    # Far above the bench's connection count, and low enough not to need a raised fd limit.
    maxconn 1000

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s

frontend bench
    bind 127.0.0.1:${port} ssl crt ${combinedPem} ssl-min-ver TLSv1.3
    default_backend upstream

backend upstream
    server up1 127.0.0.1:${upstreamPort}
`;
}

/** Tries a non-interactive apt-get install (only as root); returns why it could not, or undefined. */
function tryAptInstall(pkg: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root, cannot apt-get install';
  if (!hasCommand('apt-get', ['--version'])) return 'apt-get not available';
  process.stdout.write(`${pkg} not found; trying apt-get install -y ${pkg} ...\n`);
  const r = spawnSync('apt-get', ['install', '-y', '-q', pkg], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) return `apt-get install -y ${pkg} failed: ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-2).join(' ')}`;
  return undefined;
}

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
}

interface RunningPeer {
  proc: Spawned;
  port: number;
}

async function startNodePeer(script: string, args: string[], pin: boolean, cpu: number, timeoutMs: number): Promise<RunningPeer> {
  const proc = spawnChild(process.execPath, ['--import', 'tsx', script, ...args], { cpu, pin });
  try {
    const m = await proc.waitForLine(/^READY (\d+)$/, timeoutMs);
    return { proc, port: Number(m[1]) };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/**
 * One HTTPS request outside the load generators: proves the row answers 200 over TLS 1.3 before we
 * spend a measurement on it (a row of 502s measures nothing).
 */
function probe(port: number, path: string, certs: BenchCerts, withClientCert: boolean): Promise<{ status: number; protocol: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        agent: false,
        ca: [readText(certs.caCert)],
        ...(withClientCert ? { cert: readText(certs.clientCert), key: readText(certs.clientKey) } : {}),
        timeout: 5000,
      },
      (res) => {
        const protocol = (res.socket as TLSSocket).getProtocol();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body = (body + c).slice(0, 300)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, protocol, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

const readText = (file: string): string => readFileSync(file, 'utf8');

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

/** Median of the defined values (mean of the middle two for an even count); undefined if none. */
function median(values: Array<number | undefined>): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}

/** Table cells must stay on one line; the full text is in the JSON output. */
const oneLine = (text: string, max: number): string => {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** The share of the proxy's core taken by other work above which a round counts as disturbed. */
// 20%: a share of the proxy's core that clearly moves its numbers, well above background noise.
const DISTURBED_PCT = 20;

async function measureRow(
  spec: RowSpec,
  generator: Generator,
  roundNo: number,
  port: number,
  proxyPid: number,
  upstreamPid: number,
  certs: BenchCerts,
  s: Settings,
): Promise<RoundResult> {
  const url = `https://127.0.0.1:${port}${spec.path}`;
  const base: RoundResult = { round: roundNo, status: 'ok', notes: [] };
  process.stdout.write(`  [round ${roundNo}/${s.rounds}] ${spec.name} via ${generator}: ${s.warmupSec}s warm-up + ${s.durationSec}s ... `);
  try {
    let r: { reqPerSec: number; p50Ms: number; p90Ms: number; p99Ms: number; requests: number; seconds: number; non2xx: number; errors: number };
    let cpu: CpuDelta;
    const watch = { pids: [proxyPid, upstreamPid], cores: s.pin ? [PROXY_CPU] : [] };
    if (generator === 'wrk') {
      // A separate short wrk run is the warm-up: wrk has no warm-up phase of its own.
      if (s.warmupSec > 0) await runWrk({ url, seconds: s.warmupSec, connections: s.connections, cpu: GENERATOR_CPU, pin: s.pin, watch: { pids: [], cores: [] } });
      ({ result: r, cpu } = await runWrk({ url, seconds: s.durationSec, connections: s.connections, cpu: GENERATOR_CPU, pin: s.pin, watch }));
    } else {
      ({ result: r, cpu } = await runLoadgen({
        url,
        seconds: s.durationSec,
        warmupSeconds: s.warmupSec,
        connections: s.connections,
        cpu: GENERATOR_CPU,
        pin: s.pin,
        ca: certs.caCert,
        ...(spec.mtls ? { clientCert: { cert: certs.clientCert, key: certs.clientKey } } : {}),
        watch,
      }));
    }
    const pct = (sec: number | undefined): number | undefined => (sec === undefined || r.seconds <= 0 ? undefined : round((sec / r.seconds) * 100, 0));
    const proxySec = cpu.pidSec.get(proxyPid);
    const coreSec = cpu.coreSec.get(PROXY_CPU);
    const row: RoundResult = {
      ...base,
      reqPerSec: round(r.reqPerSec, 0),
      p50Ms: r.p50Ms,
      p90Ms: r.p90Ms,
      p99Ms: r.p99Ms,
      requests: r.requests,
      seconds: round(r.seconds, 2),
      non2xx: r.non2xx,
      errors: r.errors,
      proxyCpuPct: pct(proxySec),
      reqPerProxyCpuSec: proxySec !== undefined && proxySec > 0 ? round(r.requests / proxySec, 0) : undefined,
      // Clamped: tick rounding can make the core's total a hair smaller than the proxy's share.
      otherOnProxyCorePct: coreSec !== undefined && proxySec !== undefined ? Math.max(0, pct(coreSec - proxySec) ?? 0) : undefined,
      upstreamCpuPct: pct(cpu.pidSec.get(upstreamPid)),
    };
    if (r.non2xx > 0) row.notes.push(`${r.non2xx} non-2xx responses: this row's numbers are not comparable`);
    if (r.errors > 0) row.notes.push(`${r.errors} socket/request errors`);
    if ((row.otherOnProxyCorePct ?? 0) > DISTURBED_PCT) row.notes.push(`other work took ${row.otherOnProxyCorePct}% of core ${PROXY_CPU}: disturbed`);
    process.stdout.write(`${row.reqPerSec} req/s${row.notes.length > 0 ? ' (!)' : ''}\n`);
    return row;
  } catch (err) {
    process.stdout.write('failed\n');
    return { ...base, status: 'failed', reason: (err as Error).message.split('\n')[0] ?? 'unknown error' };
  }
}

/**
 * Folds one row's rounds into the reported row: medians of the per-round values over the rounds
 * that succeeded, totals for counts, every round's notes (prefixed with its round number).
 */
function aggregateRow(spec: RowSpec, generator: Generator, rounds: RoundResult[], preNotes: string[]): RowResult {
  const base: RowResult = { id: spec.id, name: spec.name, generator, status: 'ok', notes: [] };
  const ok = rounds.filter((r) => r.status === 'ok');
  const reqPerSecRounds = rounds.map((r) => (r.status === 'ok' ? (r.reqPerSec ?? null) : null));
  if (ok.length === 0) {
    const reasons = [...new Set(rounds.map((r) => r.reason ?? 'unknown error'))];
    return { ...base, status: 'failed', reason: `every round failed: ${reasons.join('; ')}`, reqPerSecRounds, rounds, notes: [...preNotes] };
  }
  const med = (pick: (r: RoundResult) => number | undefined, digits: number): number | undefined => {
    const m = median(ok.map(pick));
    return m === undefined ? undefined : round(m, digits);
  };
  const sum = (pick: (r: RoundResult) => number | undefined): number => ok.reduce((acc, r) => acc + (pick(r) ?? 0), 0);
  const row: RowResult = {
    ...base,
    reqPerSec: med((r) => r.reqPerSec, 0),
    p50Ms: med((r) => r.p50Ms, 3),
    p90Ms: med((r) => r.p90Ms, 3),
    p99Ms: med((r) => r.p99Ms, 3),
    requests: sum((r) => r.requests),
    seconds: round(sum((r) => r.seconds), 2),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    proxyCpuPct: med((r) => r.proxyCpuPct, 0),
    reqPerProxyCpuSec: med((r) => r.reqPerProxyCpuSec, 0),
    upstreamCpuPct: med((r) => r.upstreamCpuPct, 0),
    otherOnProxyCorePct: med((r) => r.otherOnProxyCorePct, 0),
    reqPerSecRounds,
    rounds,
    notes: [],
  };
  for (const r of rounds) {
    if (r.status === 'failed') row.notes.push(`round ${r.round} failed (${r.reason ?? 'unknown error'}); medians are over the other rounds`);
    for (const n of r.notes) row.notes.push(`round ${r.round}: ${n}`);
  }
  const disturbed = ok.filter((r) => (r.otherOnProxyCorePct ?? 0) > DISTURBED_PCT).length;
  // The median shrugs off a minority of disturbed rounds; at half or more it is the disturbance.
  if (disturbed > 0 && disturbed * 2 >= ok.length) row.notes.push(`${disturbed} of ${ok.length} rounds disturbed: the medians are not trustworthy, re-run`);
  row.notes.push(...preNotes);
  return row;
}

function skippedRows(spec: RowSpec, gens: Generator[], status: 'skipped' | 'failed', reason: string): RowResult[] {
  return gens.map((generator) => ({ id: spec.id, name: spec.name, generator, status, reason, notes: [] }));
}

/** wrk cannot present a client certificate, so the mTLS row is loadgen-only. */
function generatorsFor(spec: RowSpec): Generator[] {
  return spec.mtls ? ['loadgen'] : ['wrk', 'loadgen'];
}

function addRatios(rows: RowResult[]): void {
  for (const row of rows) {
    if (row.status !== 'ok' || row.reqPerSec === undefined) continue;
    const peer = (id: RowSpec['id']): number | undefined => rows.find((r) => r.id === id && r.generator === row.generator && r.status === 'ok')?.reqPerSec;
    const f = peer('fastify');
    const h = peer('haproxy');
    if (f) row.ratioVsFastify = round(row.reqPerSec / f, 2);
    if (h) row.ratioVsHaproxy = round(row.reqPerSec / h, 2);
  }
}

function formatTable(rows: RowResult[]): string {
  const header = ['name', 'generator', 'req/s', 'req/s per round', 'p50 ms', 'p99 ms', 'ratio vs fastify', 'ratio vs haproxy', 'proxy cpu', 'req/proxy-cpu-s', 'upstream cpu', 'other on core 1'];
  const fmt = (n: number | undefined, suffix = '', digits?: number): string => (n === undefined ? '-' : `${digits === undefined ? n : n.toFixed(digits)}${suffix}`);
  const body = rows.map((r) =>
    r.status === 'ok'
      ? [r.name + (r.notes.length > 0 ? ' (!)' : ''), r.generator, fmt(r.reqPerSec), (r.reqPerSecRounds ?? []).map((v) => (v === null ? 'x' : String(v))).join('/'), fmt(r.p50Ms, '', 2), fmt(r.p99Ms, '', 2), fmt(r.ratioVsFastify, 'x', 2), fmt(r.ratioVsHaproxy, 'x', 2), fmt(r.proxyCpuPct, '%'), fmt(r.reqPerProxyCpuSec), fmt(r.upstreamCpuPct, '%'), fmt(r.otherOnProxyCorePct, '%')]
      : [r.name, r.generator, `${r.status}: ${oneLine(r.reason ?? '', 150)}`],
  );
  const okRows = [header, ...body.filter((b) => b.length === header.length)];
  const widths = header.map((_, i) => Math.max(...okRows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.length === header.length
      ? cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')
      : `${(cells[0] ?? '').padEnd(widths[0] ?? 0)} | ${(cells[1] ?? '').padEnd(widths[1] ?? 0)} | ${cells[2] ?? ''}`;
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(header), sep, ...body.map(line)].join('\n');
}

interface Ratio {
  label: string;
  generator: Generator;
  /** Throughput ratio (req/s over req/s). */
  value?: number;
  /** Cost ratio: req per proxy CPU-second over the same for the peer. */
  perCpuValue?: number;
  /** Throughput ratio within each round (the two measurements closest in time); null if either failed. */
  perRound?: Array<number | null>;
  why?: string;
}

function explicitRatios(rows: RowResult[]): Ratio[] {
  const out: Ratio[] = [];
  const find = (id: RowSpec['id'], g: Generator): RowResult | undefined => rows.find((r) => r.id === id && r.generator === g);
  for (const [pc, pcLabel] of [['portcullis-mtls-off', 'mTLS off'], ['portcullis-mtls-on', 'mTLS on']] as const) {
    for (const [peer, peerLabel] of [['fastify', 'fastify'], ['haproxy', 'HAProxy']] as const) {
      for (const g of ['wrk', 'loadgen'] as const) {
        const label = `Portcullis (${pcLabel}) / ${peerLabel}`;
        if (g === 'wrk' && pc === 'portcullis-mtls-on') continue;
        const a = find(pc, g);
        const b = find(peer, g);
        if (a?.status !== 'ok' || a.reqPerSec === undefined) out.push({ label, generator: g, why: `Portcullis row ${a?.status ?? 'missing'}` });
        else if (b?.status !== 'ok' || !b.reqPerSec) out.push({ label, generator: g, why: `${peerLabel} row ${b?.status ?? 'missing'}` });
        else {
          const perCpu = a.reqPerProxyCpuSec && b.reqPerProxyCpuSec ? round(a.reqPerProxyCpuSec / b.reqPerProxyCpuSec, 2) : undefined;
          const perRound = (a.reqPerSecRounds ?? []).map((x, i) => {
            const y = b.reqPerSecRounds?.[i];
            return x === null || y === null || y === undefined || y === 0 ? null : round(x / y, 2);
          });
          out.push({ label, generator: g, value: round(a.reqPerSec / b.reqPerSec, 2), ...(perCpu !== undefined ? { perCpuValue: perCpu } : {}), perRound });
        }
      }
    }
  }
  return out;
}

export async function benchProxy(): Promise<void> {
  const settings: Settings = {
    rounds: intFromEnv('BENCH_ROUNDS', 3, 1),
    // 6 s x 3 rounds: 18 s measured per row in total, and about 3.5 minutes for the whole bench.
    durationSec: intFromEnv('BENCH_DURATION', 6, 1),
    warmupSec: intFromEnv('BENCH_WARMUP', 2, 0),
    connections: intFromEnv('BENCH_CONNECTIONS', 32, 1),
    pin: canPin(),
  };

  // wrk is the reference generator; without it the table would have no wrk column to anchor on.
  if (!hasCommand('wrk', ['-v'])) {
    const why = tryAptInstall('wrk');
    if (why !== undefined || !hasCommand('wrk', ['-v'])) {
      throw new Error(`wrk (the load generator) is not available: ${why ?? 'still not on PATH after install'}. Install it (apt-get install -y wrk) and re-run.`);
    }
  }
  let haproxySkip: string | undefined;
  if (!hasCommand('haproxy', ['-v'])) {
    const why = tryAptInstall('haproxy');
    if (why !== undefined || !hasCommand('haproxy', ['-v'])) haproxySkip = `haproxy not available (${why ?? 'not on PATH after install'})`;
  }

  process.stdout.write(
    [
      'proxy bench: client -TLS1.3-> proxy -HTTP/1.1-> upstream, keep-alive both sides',
      settings.pin
        ? `pinning: upstream + load generator on core ${UPSTREAM_CPU}, proxy under test on core ${PROXY_CPU} (taskset)`
        : 'pinning: NOT PINNED (taskset missing or fewer than 2 usable cores); numbers are noisier and the proxy competes with the generator',
      `${settings.rounds} round(s), each measuring every row once (interleaved); the table shows per-row medians over the rounds`,
      `each row, each round: ${settings.warmupSec}s warm-up + ${settings.durationSec}s measured, ${settings.connections} connections, pipelining 1`,
      `node ${process.version}; ${versionOf('wrk', ['-v'])}; ${haproxySkip ? 'haproxy: n/a' : versionOf('haproxy', ['-v'])}`,
      '',
    ].join('\n'),
  );

  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const rows: RowResult[] = [];
  try {
    const certs = makeBenchCerts(tmp);
    mkdirSync(join(tmp, 'pki'), { recursive: true });

    const upstream = await startNodePeer('bench/peers/upstream.ts', [], settings.pin, UPSTREAM_CPU, 30_000);
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    process.stdout.write(`upstream ${upstreamUrl} (pid ${upstream.proc.pid})\n`);

    const peers: Array<{ peer: PeerName; start: () => Promise<RunningPeer> }> = [
      {
        peer: 'fastify',
        start: () => startNodePeer('bench/peers/fastify-reply-from.ts', ['--upstream', upstreamUrl, '--cert', certs.serverCert, '--key', certs.serverKey], settings.pin, PROXY_CPU, 30_000),
      },
      {
        peer: 'haproxy',
        start: async () => {
          if (haproxySkip !== undefined) throw new SkipError(haproxySkip);
          const port = await freePort();
          const cfg = join(tmp, 'haproxy.cfg');
          writeFileSync(cfg, haproxyCfg(port, upstream.port, certs.serverCombined));
          const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
          if (check.status !== 0) throw new Error(`haproxy -c rejected the config: ${(check.stderr || check.stdout).trim()}`);
          // -db: stay in the foreground, single process, so the pid we pin and watch is the one working.
          const proc = spawnChild('haproxy', ['-f', cfg, '-db'], { cpu: PROXY_CPU, pin: settings.pin });
          try {
            await waitForPort(port, 15_000, () => proc.child.exitCode === null);
          } catch (err) {
            await proc.stop();
            // HAProxy prints NOTICE lines first; the ALERT lines are the ones that say why.
            const alerts = proc.tail().split('\n').filter((l) => l.includes('[ALERT]'));
            throw new Error(`${(err as Error).message}: ${(alerts.length > 0 ? alerts : [proc.tail()]).join(' ')}`);
          }
          return { proc, port };
        },
      },
      {
        peer: 'portcullis',
        start: async () => {
          const port = await freePort();
          const cfg = join(tmp, 'portcullis.yaml');
          writeFileSync(cfg, portcullisYaml(tmp, certs, port, upstream.port));
          try {
            // Generous: the first start compiles the whole gateway through tsx.
            return await startNodePeer('bench/peers/portcullis.ts', [cfg], settings.pin, PROXY_CPU, 60_000);
          } catch (err) {
            const msg = (err as Error).message;
            const peerError = /PEER_ERROR (.*)/.exec(msg)?.[1] ?? msg.split('\n')[0] ?? msg;
            throw new Error(`gateway did not start (${peerError})`);
          }
        },
      },
    ];

    // Every peer is started once, up front, and stays up for all rounds (they sit on core 1 together,
    // idle except for the one being measured). Restarting per round would add start-up time and
    // nothing the warm-up does not already give.
    const running = new Map<PeerName, RunningPeer>();
    interface Unit { spec: RowSpec; generator: Generator; peer: RunningPeer; preNotes: string[]; rounds: RoundResult[] }
    const units: Unit[] = [];
    try {
      for (const { peer, start } of peers) {
        const specs = ROWS.filter((r) => r.peer === peer);
        process.stdout.write(`${peer}: starting\n`);
        let p: RunningPeer;
        try {
          p = await start();
        } catch (err) {
          const skip = err instanceof SkipError;
          const reason = (err as Error).message;
          process.stdout.write(`${peer}: ${skip ? 'skipped' : 'failed'}: ${reason}\n`);
          for (const spec of specs) rows.push(...skippedRows(spec, generatorsFor(spec), skip ? 'skipped' : 'failed', reason));
          continue;
        }
        running.set(peer, p);
        process.stdout.write(`${peer}: listening on ${p.port} (pid ${p.proc.pid})\n`);
        for (const spec of specs) {
          const pre = await checkRow(spec, p.port, certs);
          if (pre.error !== undefined) {
            process.stdout.write(`  ${spec.name}: failed: ${pre.error}\n`);
            rows.push(...skippedRows(spec, generatorsFor(spec), 'failed', pre.error));
            continue;
          }
          for (const g of generatorsFor(spec)) units.push({ spec, generator: g, peer: p, preNotes: pre.notes, rounds: [] });
        }
      }

      // Rows interleaved: each round measures every row once, wrk rows then loadgen rows, and the
      // starting row rotates per round so no row is always first (or always after the same one).
      for (let r = 0; r < settings.rounds; r++) {
        process.stdout.write(`round ${r + 1}/${settings.rounds}\n`);
        for (const g of ['wrk', 'loadgen'] as const) {
          const these = units.filter((u) => u.generator === g);
          const shift = these.length > 0 ? r % these.length : 0;
          for (const u of [...these.slice(shift), ...these.slice(0, shift)]) {
            if (u.peer.proc.child.exitCode !== null || u.peer.proc.child.signalCode !== null) {
              const reason = `${u.spec.peer} exited before this round: ${oneLine(u.peer.proc.tail(), 200)}`;
              process.stdout.write(`  [round ${r + 1}/${settings.rounds}] ${u.spec.name} via ${g}: failed: ${reason}\n`);
              u.rounds.push({ round: r + 1, status: 'failed', reason, notes: [] });
              continue;
            }
            u.rounds.push(await measureRow(u.spec, g, r + 1, u.peer.port, u.peer.proc.pid, upstream.proc.pid, certs, settings));
          }
        }
      }
      for (const u of units) rows.push(aggregateRow(u.spec, u.generator, u.rounds, u.preNotes));
    } finally {
      for (const p of running.values()) await p.proc.stop();
    }
    await upstream.proc.stop();
  } finally {
    runCleanups();
  }

  // wrk rows first, then loadgen rows, each in ROWS order, so same-tool rows sit together.
  const order = (r: RowResult): number => (r.generator === 'wrk' ? 0 : 10) + ROWS.findIndex((s) => s.id === r.id);
  rows.sort((a, b) => order(a) - order(b));
  addRatios(rows);
  const ratios = explicitRatios(rows);

  process.stdout.write(`\n${formatTable(rows)}\n\n`);
  process.stdout.write('ratios (same generator, same run, from the medians): req/s over req/s, then req per proxy CPU-second over the same, then req/s ratio within each round\n');
  for (const r of ratios) {
    const perRound = (r.perRound ?? []).map((x) => (x === null ? 'x' : x.toFixed(2))).join('/');
    const v =
      r.value !== undefined
        ? `${r.value.toFixed(2)}x  (per proxy CPU: ${r.perCpuValue !== undefined ? `${r.perCpuValue.toFixed(2)}x` : 'n/a'}; per round: ${perRound || 'n/a'})`
        : `n/a (${oneLine(r.why ?? '', 120)})`;
    process.stdout.write(`  ${r.label.padEnd(32)} [${r.generator.padEnd(7)}] ${v}\n`);
  }
  const noted = rows.filter((r) => r.notes.length > 0);
  if (noted.length > 0) {
    process.stdout.write('\nnotes:\n');
    for (const r of noted) for (const n of r.notes) process.stdout.write(`  (!) ${r.name} [${r.generator}]: ${n}\n`);
  }
  process.stdout.write(
    `\ngenerators: wrk = wrk -t1 -c${settings.connections} --latency; loadgen = bench/loadgen.ts (undici Pool, ${settings.connections} connections, presents a client cert only on the mTLS row)\n` +
      'proxy cpu near 100% = the proxy was the bottleneck. Well below = it was waiting, on core 0 (upstream + generator) or, if "other on core 1" is\n' +
      'high, on other work sharing its core; either way its req/s understates it: compare req/proxy-cpu-s (cost per request; approximate)\n' +
      `every number is the median over ${settings.rounds} round(s); "req/s per round" lists each round's req/s in order (x = that round failed)\n`,
  );

  const outDir = join(REPO_ROOT, 'bench', '.out');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'proxy.json');
  writeFileSync(
    outFile,
    `${JSON.stringify(
      {
        bench: 'proxy',
        finishedAt: new Date().toISOString(),
        node: process.version,
        wrk: versionOf('wrk', ['-v']),
        haproxy: haproxySkip ? null : versionOf('haproxy', ['-v']),
        pinned: settings.pin,
        cpus: { upstream: UPSTREAM_CPU, proxy: PROXY_CPU, generator: GENERATOR_CPU },
        rounds: settings.rounds,
        durationSec: settings.durationSec,
        warmupSec: settings.warmupSec,
        connections: settings.connections,
        rows,
        ratios,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`results written to ${outFile}\n`);
}

/**
 * Probes a row before measuring it: 200 over TLS 1.3 with exactly the credentials the generators
 * will use; and for the mTLS row, that a request *without* a client cert is refused, since otherwise
 * the row would not be measuring mTLS at all.
 */
async function checkRow(spec: RowSpec, port: number, certs: BenchCerts): Promise<{ error?: string; notes: string[] }> {
  const notes: string[] = [];
  try {
    const p = await probe(port, spec.path, certs, spec.mtls);
    if (p.protocol !== 'TLSv1.3') return { error: `negotiated ${p.protocol ?? 'no TLS'}, expected TLSv1.3`, notes };
    if (p.status !== 200) return { error: `probe GET ${spec.path} answered ${p.status}: ${p.body.replace(/\s+/g, ' ').slice(0, 160)}`, notes };
  } catch (err) {
    return { error: `probe GET ${spec.path} failed: ${(err as Error).message}`, notes };
  }
  if (spec.mtls) {
    const refused = await probe(port, spec.path, certs, false).then(
      (p) => p.status !== 200,
      () => true,
    );
    if (!refused) notes.push(`${spec.path} answered 200 WITHOUT a client certificate: mTLS was not enforced, this row is not an mTLS measurement`);
  }
  return { notes };
}
