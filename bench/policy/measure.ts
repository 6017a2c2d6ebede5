// Per-decision latency sampling for the policy bench: a warm-up that is thrown away, then one timed
// call per sample until a sample cap or a time budget is reached, whichever comes first, so a slow
// engine at 10,000 policies cannot stretch the run.

import type { BenchRequest } from './workload.js';

export interface LatencyStats {
  samples: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  seconds: number;
}

export interface MeasureOptions {
  warmupMs: number;
  budgetMs: number;
  maxSamples: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** A sink the optimizer cannot see through, so measured calls are never dead code. */
let sink = 0;
export function sinkValue(): number { return sink; }

export function measure(decide: (r: BenchRequest) => boolean, requests: readonly BenchRequest[], o: MeasureOptions): LatencyStats {
  const n = requests.length;
  let k = 0;
  const warmEnd = performance.now() + o.warmupMs;
  while (performance.now() < warmEnd) {
    if (decide(requests[k++ % n] as BenchRequest)) sink++;
  }
  const times = new Float64Array(o.maxSamples);
  let s = 0;
  const start = performance.now();
  const end = start + o.budgetMs;
  let now = start;
  while (s < o.maxSamples && now < end) {
    const req = requests[k++ % n] as BenchRequest;
    const t0 = performance.now();
    if (decide(req)) sink++;
    now = performance.now();
    times[s++] = (now - t0) * 1000;
  }
  const got = times.subarray(0, s).sort();
  let sum = 0;
  for (let i = 0; i < s; i++) sum += got[i] as number;
  return { samples: s, p50Us: quantile(got, 0.5), p99Us: quantile(got, 0.99), meanUs: sum / s, seconds: (now - start) / 1000 };
}
