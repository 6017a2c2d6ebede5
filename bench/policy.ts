// `npm run bench -- policy`: what does one authorization decision cost in our engine, next to
// cedar-wasm (the Cedar reference, policies preparsed) and node-casbin (an equivalent RBAC-with-ABAC
// model), on the same gateway-shaped workload at 10, 100, 1,000 and 10,000 policies, in one run?
//
// Each size runs in its own child process (bench/policy/size-run.ts), pinned to one core when
// `taskset` works; within a size the engines run one after another in that process, so they share
// the machine's noise. Ratios within a size are the result; absolute numbers on a noisy 2-core box
// are not. See docs/bench.md.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { canPin, REPO_ROOT } from './lib/procs.js';
import type { SizeCell, SizeResult } from './policy/size-run.js';

const SIZES = [10, 100, 1_000, 10_000];
const TARGET_VS_CEDAR_AT_1000 = 50;
const TARGET_FLATNESS = 2;
/** A size that has not finished by then is killed and reported as failed: the bench always ends. */
const SIZE_TIMEOUT_MS = 100_000;
const BENCH_CPU = '1';

const fmt = (x: number): string => (!Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pad = (s: string, n: number): string => s.padStart(n);

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function runSize(size: number, pin: boolean): SizeResult | { policies: number; error: string } {
  const node = [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'bench', 'policy', 'size-run.ts'), String(size)];
  const [cmd, ...args] = pin ? ['taskset', '-c', BENCH_CPU, ...node] : node;
  const r = spawnSync(cmd as string, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: SIZE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  const last = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status === 0 && last.startsWith('{')) return JSON.parse(last) as SizeResult;
  const why = r.error?.message ?? (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
  return { policies: size, error: `${why}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
}

export async function benchPolicy(): Promise<void> {
  const started = performance.now();
  const pin = canPin();
  process.stdout.write(`policy bench: ${SIZES.map((s) => s.toLocaleString('en-US')).join(', ')} policies; ` +
    `${process.env.BENCH_POLICY_SECONDS ?? 3}s per engine and size; one process per size${pin ? `, pinned to core ${BENCH_CPU}` : ' (unpinned: taskset unavailable)'}; ` +
    `cedar-wasm ${cedar.getCedarVersion()}, casbin ${versionOf('casbin')}, node ${process.versions.node}\n\n`);

  const results: (SizeResult | { policies: number; error: string })[] = [];
  for (const size of SIZES) {
    process.stdout.write(`  running ${size.toLocaleString('en-US')} policies...\n`);
    results.push(runSize(size, pin));
  }
  const ok = results.filter((r): r is SizeResult => !('error' in r));
  const cells: SizeCell[] = ok.flatMap((r) => r.cells);
  const cell = (engine: string, size: number) => cells.find((c) => c.engine === engine && c.policies === size);

  const lines = [
    '',
    `${pad('policies', 8)} | ${pad('engine', 19)} | ${pad('p50 µs', 8)} | ${pad('p99 µs', 8)} | ${pad('samples', 7)} | ${pad('ours faster p50', 15)} | ${pad('p99', 7)}`,
  ];
  for (const r of results) {
    if ('error' in r) {
      lines.push(`${pad(r.policies.toLocaleString('en-US'), 8)} | failed: ${r.error}`);
      continue;
    }
    const o = cell('portcullis', r.policies);
    for (const c of r.cells) {
      const peer = o !== undefined && !c.engine.startsWith('portcullis');
      lines.push(`${pad(r.policies.toLocaleString('en-US'), 8)} | ${pad(c.engine, 19)} | ${pad(fmt(c.p50Us), 8)} | ${pad(fmt(c.p99Us), 8)} | ` +
        `${pad(String(c.samples), 7)} | ${pad(peer ? `${fmt(c.p50Us / o.p50Us)}×` : '', 15)} | ${pad(peer ? `${fmt(c.p99Us / o.p99Us)}×` : '', 7)}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  for (const r of ok) {
    const a = r.agreement;
    const parts = Object.entries(a.decisionsAgree).map(([k, v]) => `${k} ${v}/${a.compared}`);
    process.stdout.write(`agreement @${r.policies.toLocaleString('en-US')}: decisions same as ours: ${parts.join(', ') || 'none'}; ` +
      `reasons same as cedar-wasm ${a.reasonsAgreeWithCedar}/${a.compared}; policies walked ${fmt(r.meanWalked)}, evaluated ${fmt(r.meanCandidates)} per decision\n`);
    for (const m of a.mismatches) process.stdout.write(`  mismatch: ${m}\n`);
  }

  const o1k = cell('portcullis', 1_000);
  const c1k = cell('cedar-wasm', 1_000);
  const o10 = cell('portcullis', 10);
  const o10k = cell('portcullis', 10_000);
  const vsCedar = o1k && c1k ? c1k.p50Us / o1k.p50Us : Number.NaN;
  const flat = o10 && o10k ? o10k.p50Us / o10.p50Us : Number.NaN;
  const hot10 = cell('portcullis (hot 20)', 10);
  const hot10k = cell('portcullis (hot 20)', 10_000);
  const flatHot = hot10 && hot10k ? hot10k.p50Us / hot10.p50Us : Number.NaN;
  const targets = {
    vsCedarAt1000: { target: `>= ${TARGET_VS_CEDAR_AT_1000}x`, measured: vsCedar, met: vsCedar >= TARGET_VS_CEDAR_AT_1000 },
    flatness10kOver10: { target: `<= ${TARGET_FLATNESS}x`, measured: flat, met: flat <= TARGET_FLATNESS, hotSetMeasured: flatHot },
  };
  process.stdout.write(`\ntarget: ours >= ${TARGET_VS_CEDAR_AT_1000}× faster than cedar-wasm at 1,000 policies (p50): ${fmt(vsCedar)}× — ${targets.vsCedarAt1000.met ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`target: ours at 10,000 <= ${TARGET_FLATNESS}× ours at 10 (p50): ${fmt(flat)}× — ${targets.flatness10kOver10.met ? 'met' : 'NOT met'}` +
    ` (hot-20 rows: ${fmt(flatHot)}×)\n`);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`(${seconds.toFixed(0)} s)\n`);

  const outDir = join(REPO_ROOT, 'bench', '.out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'policy.json'), `${JSON.stringify({
    bench: 'policy', date: new Date().toISOString(), seconds, pinned: pin,
    versions: { node: process.versions.node, cedarWasm: cedar.getCedarVersion(), casbin: versionOf('casbin') },
    settings: { sizes: SIZES, secondsPerCell: Number(process.env.BENCH_POLICY_SECONDS ?? 3), sizeTimeoutMs: SIZE_TIMEOUT_MS },
    results, targets,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${join('bench', '.out', 'policy.json')}\n`);
  if (ok.length < results.length) process.exitCode = 1;
}
