// One size of the policy bench, run in its own process by bench/policy.ts: a fresh heap and a fresh
// cedar-wasm instance per size, so one size's garbage, JIT state and wasm memory growth cannot tax
// the next (and V8 20.x has crashed in its deoptimizer when cedar-wasm's glue, optimized on small
// sets, met a wasm memory grown by a 10,000-policy preparse in the same process).
//
// Usage: node --import tsx bench/policy/size-run.ts <policies>   → one JSON line on stdout.

import { measure, sinkValue, type LatencyStats } from './measure.js';
import { ourPeer } from './ours.js';
import { casbinPeer, cedarWasmPeer, type Peer } from './peers.js';
import { gatewayWorkload, type BenchRequest } from './workload.js';

export interface SizeCell extends LatencyStats { engine: string; policies: number }
export interface SizeAgreement {
  compared: number;
  decisionsAgree: Record<string, number>;
  reasonsAgreeWithCedar: number;
  mismatches: string[];
}
export interface SizeResult {
  policies: number;
  services: number;
  distinctRequests: number;
  cells: SizeCell[];
  agreement: SizeAgreement;
  meanCandidates: number;
  meanWalked: number;
  sink: number;
}

/** Agreement is checked on up to `max` requests, within `budgetMs` (slow peers at 10,000 policies). */
function checkAgreement(reqs: readonly BenchRequest[], peers: Peer[], max: number, budgetMs: number): SizeAgreement {
  const [ours, cedarPeer] = peers;
  const decisionsAgree: Record<string, number> = {};
  const mismatches: string[] = [];
  let reasonsAgree = 0;
  let compared = 0;
  const end = performance.now() + budgetMs;
  for (const req of reqs.slice(0, max)) {
    if (compared > 0 && performance.now() > end) break;
    const base = ours?.decide(req);
    for (const p of peers.slice(1)) {
      if (p.decide(req) === base) decisionsAgree[p.name] = (decisionsAgree[p.name] ?? 0) + 1;
      else if (mismatches.length < 5) mismatches.push(`${p.name} says ${!base}: ${JSON.stringify({ principal: req.principal, action: req.action, resource: req.resource, context: req.context })}`);
    }
    if (ours?.reasons && cedarPeer?.reasons && ours.reasons(req).join() === cedarPeer.reasons(req).join()) reasonsAgree++;
    compared++;
  }
  return { compared, decisionsAgree, reasonsAgreeWithCedar: reasonsAgree, mismatches };
}

function envNumber(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

async function main(): Promise<void> {
  const size = Number(process.argv[2]);
  const budgetMs = envNumber('BENCH_POLICY_SECONDS', 3) * 1000;
  const warmupMs = envNumber('BENCH_WARMUP', 0.5) * 1000;
  const requestCount = envNumber('BENCH_POLICY_REQUESTS', 2000);
  const w = gatewayWorkload(size, requestCount);
  const ours = ourPeer(w);
  const peers: Peer[] = [ours, cedarWasmPeer(w), await casbinPeer(w)];
  const agreement = checkAgreement(w.requests, peers, 300, 15_000);
  const sample = w.requests.slice(0, 300);
  const cells: SizeCell[] = [];
  for (const p of peers) {
    cells.push({ engine: p.name, policies: size, ...measure(p.decide, w.requests, { warmupMs, budgetMs, maxSamples: 300_000 }) });
  }
  // Diagnostic row: the same engine cycling over 20 requests, so its data stays in CPU caches. The
  // gap to the main row is memory latency of a larger working set, not work done by the index.
  cells.push({ engine: 'portcullis (hot 20)', policies: size, ...measure(ours.decide, w.requests.slice(0, 20), { warmupMs, budgetMs, maxSamples: 300_000 }) });
  const result: SizeResult = {
    policies: size, services: w.services, distinctRequests: w.requests.length, cells, agreement,
    meanCandidates: ours.meanCandidates(sample), meanWalked: ours.meanWalked(sample), sink: sinkValue(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
