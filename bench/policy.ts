// `npm run bench -- policy`: what does one authorization decision cost in our engine, next to
// cedar-wasm (the Cedar reference, policies preparsed) and node-casbin (an equivalent RBAC-with-ABAC
// model), on the same gateway-shaped workload at 10, 100, 1,000 and 10,000 policies, in one run?
//
// Everything runs in this one process, one engine at a time, so the engines share the machine's
// noise equally. Ratios within a run are the result; absolute numbers on a noisy 2-core box are not.
// See docs/bench.md.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { REPO_ROOT } from './lib/procs.js';
import { measure, sinkValue, type LatencyStats } from './policy/measure.js';
import { ourPeer } from './policy/ours.js';
import { casbinPeer, cedarWasmPeer, type Peer } from './policy/peers.js';
import { gatewayWorkload, type Workload } from './policy/workload.js';

const SIZES = [10, 100, 1_000, 10_000];
/** Requests compared across all engines per size: agreement is a precondition for any ratio. */
const AGREEMENT_SAMPLE = 300;
const TARGET_VS_CEDAR_AT_1000 = 50;
const TARGET_FLATNESS = 2;

interface Cell extends LatencyStats { engine: string; policies: number; note?: string }
interface Agreement { policies: number; compared: number; decisionsAgree: Record<string, number>; reasonsAgreeWithCedar: number; mismatches: string[] }

function envNumber(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

function checkAgreement(w: Workload, peers: Peer[]): Agreement {
  const [ours, cedarPeer] = peers;
  const reqs = w.requests.slice(0, AGREEMENT_SAMPLE);
  const decisionsAgree: Record<string, number> = {};
  const mismatches: string[] = [];
  let reasonsAgree = 0;
  for (const req of reqs) {
    const base = ours?.decide(req);
    for (const p of peers.slice(1)) {
      if (p.decide(req) === base) decisionsAgree[p.name] = (decisionsAgree[p.name] ?? 0) + 1;
      else if (mismatches.length < 5) mismatches.push(`${p.name}: ${JSON.stringify({ principal: req.principal, action: req.action, resource: req.resource, context: req.context })}`);
    }
    if (ours?.reasons && cedarPeer?.reasons && ours.reasons(req).join() === cedarPeer.reasons(req).join()) reasonsAgree++;
  }
  return { policies: w.policies.length, compared: reqs.length, decisionsAgree, reasonsAgreeWithCedar: reasonsAgree, mismatches };
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pad = (s: string, n: number): string => s.padStart(n);

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function benchPolicy(): Promise<void> {
  const budgetMs = envNumber('BENCH_POLICY_SECONDS', 3) * 1000;
  const warmupMs = envNumber('BENCH_WARMUP', 0.5) * 1000;
  const requestCount = envNumber('BENCH_POLICY_REQUESTS', 2000);
  const started = performance.now();
  process.stdout.write(`policy bench: sizes ${SIZES.join(', ')}; ${budgetMs / 1000}s budget per engine and size; ` +
    `cedar-wasm ${cedar.getCedarVersion()}, casbin ${versionOf('casbin')}, node ${process.versions.node}\n\n`);

  const cells: Cell[] = [];
  const agreements: Agreement[] = [];
  const candidates: Record<number, number> = {};
  for (const size of SIZES) {
    const w = gatewayWorkload(size, requestCount);
    const ours = ourPeer(w);
    const peers: Peer[] = [ours, cedarWasmPeer(w), await casbinPeer(w)];
    agreements.push(checkAgreement(w, peers));
    candidates[size] = ours.meanCandidates(w.requests.slice(0, AGREEMENT_SAMPLE));
    for (const p of peers) {
      const st = measure(p.decide, w.requests, { warmupMs, budgetMs, maxSamples: 200_000 });
      cells.push({ engine: p.name, policies: size, ...st });
    }
  }

  const cell = (engine: string, size: number) => cells.find((c) => c.engine === engine && c.policies === size);
  const lines = [
    `${pad('policies', 8)} | ${pad('engine', 10)} | ${pad('p50 µs', 9)} | ${pad('p99 µs', 9)} | ${pad('samples', 7)} | ${pad('ours faster (p50)', 17)} | ${pad('(p99)', 8)}`,
  ];
  for (const size of SIZES) {
    const o = cell('portcullis', size);
    for (const c of cells.filter((x) => x.policies === size)) {
      const r50 = o && c.engine !== 'portcullis' ? `${fmt(c.p50Us / o.p50Us)}×` : '';
      const r99 = o && c.engine !== 'portcullis' ? `${fmt(c.p99Us / o.p99Us)}×` : '';
      lines.push(`${pad(size.toLocaleString('en-US'), 8)} | ${pad(c.engine, 10)} | ${pad(fmt(c.p50Us), 9)} | ${pad(fmt(c.p99Us), 9)} | ${pad(String(c.samples), 7)} | ${pad(r50, 17)} | ${pad(r99, 8)}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  for (const a of agreements) {
    const parts = Object.entries(a.decisionsAgree).map(([k, v]) => `${k} ${v}/${a.compared}`);
    process.stdout.write(`agreement @${a.policies}: decisions vs ours: ${parts.join(', ')}; reasons vs cedar-wasm ${a.reasonsAgreeWithCedar}/${a.compared}; ` +
      `mean candidates evaluated ${fmt(candidates[a.policies] ?? Number.NaN)}\n`);
    for (const m of a.mismatches) process.stdout.write(`  mismatch ${m}\n`);
  }

  const o1k = cell('portcullis', 1_000);
  const c1k = cell('cedar-wasm', 1_000);
  const o10 = cell('portcullis', 10);
  const o10k = cell('portcullis', 10_000);
  const vsCedar = o1k && c1k ? c1k.p50Us / o1k.p50Us : Number.NaN;
  const flat = o10 && o10k ? o10k.p50Us / o10.p50Us : Number.NaN;
  const targets = {
    vsCedarAt1000: { target: `>= ${TARGET_VS_CEDAR_AT_1000}x`, measured: vsCedar, met: vsCedar >= TARGET_VS_CEDAR_AT_1000 },
    flatness10kOver10: { target: `<= ${TARGET_FLATNESS}x`, measured: flat, met: flat <= TARGET_FLATNESS },
  };
  process.stdout.write(`\ntarget: ours >= ${TARGET_VS_CEDAR_AT_1000}× faster than cedar-wasm at 1,000 policies (p50): ${fmt(vsCedar)}× ${targets.vsCedarAt1000.met ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`target: ours at 10,000 <= ${TARGET_FLATNESS}× ours at 10 (p50): ${fmt(flat)}× ${targets.flatness10kOver10.met ? 'met' : 'NOT met'}\n`);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`(${seconds.toFixed(0)} s; sink ${sinkValue() % 10})\n`);

  const outDir = join(REPO_ROOT, 'bench', '.out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'policy.json'), `${JSON.stringify({
    bench: 'policy', date: new Date().toISOString(), seconds,
    versions: { node: process.versions.node, cedarWasm: cedar.getCedarVersion(), casbin: versionOf('casbin') },
    settings: { sizes: SIZES, budgetMs, warmupMs, requestCount, agreementSample: AGREEMENT_SAMPLE },
    cells, agreements, meanCandidates: candidates, targets,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${join('bench', '.out', 'policy.json')}\n`);
}
