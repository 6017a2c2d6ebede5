// Runs bench/loadgen.ts as its own (pinned) process and collects its result, sampling the CPU time of
// the servers under test (and their cores) between its MEASURE_START and RESULT lines, so warm-up CPU
// is not counted.

import type { LoadgenResult } from '../loadgen.js';
import { cpuDelta, cpuSnapshot, spawnChild, type CpuDelta, type CpuWatch } from './procs.js';

export interface LoadgenRun {
  result: LoadgenResult;
  /** CPU used by the watched processes and cores during the measured window. */
  cpu: CpuDelta;
}

export async function runLoadgen(opts: {
  url: string;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  cpu: number;
  pin: boolean;
  ca: string;
  clientCert?: { cert: string; key: string };
  watch: CpuWatch;
}): Promise<LoadgenRun> {
  const args = [
    '--import', 'tsx', 'bench/loadgen.ts',
    '--url', opts.url,
    '--connections', String(opts.connections),
    '--duration', String(opts.seconds),
    '--warmup', String(opts.warmupSeconds),
    '--ca', opts.ca,
    ...(opts.clientCert ? ['--cert', opts.clientCert.cert, '--key', opts.clientCert.key] : []),
  ];
  const proc = spawnChild(process.execPath, args, { cpu: opts.cpu, pin: opts.pin });
  // Both waiters are registered before either line can arrive; a waiter only sees later lines.
  const started = proc.waitForLine(/^MEASURE_START$/, (opts.warmupSeconds + 60) * 1000);
  const finished = proc.waitForLine(/^RESULT (.*)$/, (opts.warmupSeconds + opts.seconds + 60) * 1000);
  // Keep an unobserved rejection (child died during warm-up) from crashing the parent; `started`
  // reports the same failure.
  finished.catch(() => undefined);
  try {
    await started;
    const before = cpuSnapshot(opts.watch);
    const m = await finished;
    const cpu = cpuDelta(before, cpuSnapshot(opts.watch));
    const parsed = JSON.parse(m[1] ?? '{}') as LoadgenResult | { error: string };
    if ('error' in parsed) throw new Error(`loadgen: ${parsed.error}`);
    return { result: parsed, cpu };
  } finally {
    await proc.stop();
  }
}
