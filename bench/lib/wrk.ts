// Runs wrk (pinned) and parses its text output. wrk is the reference load generator for the rows it
// can drive (it cannot present a client certificate, see bench/loadgen.ts for the one it can't).

import { cpuDelta, cpuSnapshot, spawnChild, type CpuDelta, type CpuWatch } from './procs.js';

export interface WrkResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** "Non-2xx or 3xx responses": wrk counts 3xx as success, we report what it reports. */
  non2xx: number;
  /** Sum of wrk's socket errors (connect, read, write, timeout). */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "1.23ms" / "870.00us" / "1.01s" into milliseconds. */
function parseDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new Error(`cannot parse wrk duration "${text}"`);
  return Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN);
}

export function parseWrk(out: string): WrkResult {
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`wrk output has no ${p}% latency (was --latency passed?)`);
    return Math.round(parseDuration(m[1]) * 100) / 100;
  };
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),/m.exec(out);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!total?.[1] || !total[2] || !total[3] || !rps?.[1]) throw new Error(`unrecognised wrk output:\n${out.trim()}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requests: Number(total[1]),
    seconds: parseDuration(`${total[2]}${total[3]}`) / 1000,
    reqPerSec: Number(rps[1]),
    p50Ms: pct('50'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    non2xx,
    errors,
  };
}

export interface WrkRun {
  result: WrkResult;
  /** CPU used by the watched processes and cores during the measured run. */
  cpu: CpuDelta;
}

/**
 * One wrk run of `seconds` against `url`, pinned to `cpu`, watching the CPU time of `watch`.
 * Bounded: wrk stops itself after -d, and we kill it if it overruns by 30 s.
 */
export async function runWrk(opts: { url: string; seconds: number; connections: number; cpu: number; pin: boolean; watch: CpuWatch }): Promise<WrkRun> {
  const before = cpuSnapshot(opts.watch);
  const proc = spawnChild('wrk', ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '--latency', opts.url], { cpu: opts.cpu, pin: opts.pin });
  let out = '';
  proc.child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const killer = setTimeout(() => void proc.stop(), (opts.seconds + 30) * 1000);
  const code = await proc.exited;
  clearTimeout(killer);
  const cpu = cpuDelta(before, cpuSnapshot(opts.watch));
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${proc.tail() || out.trim()}`);
  return { result: parseWrk(out), cpu };
}
