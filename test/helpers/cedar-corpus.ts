// Cedar's conformance corpus (the integration tests of cedar-policy, 7,809 tests): unpack it, read
// each test losslessly (contexts and entities carry integers beyond 2^53), and run it through our
// engine. Each test names a policy file, an entity file, a schema (ignored: evaluation does not use
// it) and requests with the expected decision, reasons and erroring policy ids.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authorize,
  compilePolicy,
  makeRequest,
  MemoryEntityStore,
  parseJson,
  parsePolicies,
  recordFromJson,
  uidFromJson,
  type CompiledPolicy,
} from '../../policy/index.js';

export const CORPUS_ARCHIVE = join(import.meta.dirname, '..', '..', '..', 'shared', 'testdata', 'cedar', 'corpus-tests.tar.gz');

/** Unpack the corpus into a fresh temp dir; returns the dir (test paths are relative to it). */
export function unpackCorpus(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cedar-corpus-'));
  execFileSync('tar', ['-xzf', CORPUS_ARCHIVE, '-C', dir], { stdio: 'ignore' });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The test manifests (`corpus-tests/<hash>.json`), sorted so chunks are stable across runs. */
export function listCorpusTests(dir: string): string[] {
  return readdirSync(join(dir, 'corpus-tests'))
    .filter((f) => f.endsWith('.json') && !f.endsWith('.entities.json'))
    .sort()
    .map((f) => join('corpus-tests', f));
}

interface Manifest {
  policies: string;
  entities: string;
  requests: {
    description: string;
    principal: unknown;
    action: unknown;
    resource: unknown;
    context: unknown;
    decision: 'allow' | 'deny';
    reason: string[];
    errors: string[];
  }[];
}

export interface CorpusMismatch {
  test: string;
  request: string;
  expected: string;
  actual: string;
}

export interface CorpusRun {
  requests: number;
  matched: number;
  mismatches: CorpusMismatch[];
}

function sorted(xs: readonly string[]): string {
  return JSON.stringify([...xs].sort());
}

/** Run one corpus test; every request is compared on decision, reason set and error set. */
export function runCorpusTest(dir: string, manifestPath: string): CorpusRun {
  const manifest = parseJson(readFileSync(join(dir, manifestPath)), manifestPath) as Manifest;
  const run: CorpusRun = { requests: manifest.requests.length, matched: 0, mismatches: [] };
  let policies: CompiledPolicy[];
  let store: MemoryEntityStore;
  try {
    policies = parsePolicies(readFileSync(join(dir, manifest.policies)), { name: manifest.policies }).map((p) => compilePolicy(p.id, p.est));
    store = MemoryEntityStore.fromJson(readFileSync(join(dir, manifest.entities)));
  } catch (err) {
    for (const r of manifest.requests) run.mismatches.push({ test: manifestPath, request: r.description, expected: r.decision, actual: `load failed: ${String(err)}` });
    return run;
  }
  for (const r of manifest.requests) {
    const expected = `${r.decision} reasons=${sorted(r.reason)} errors=${sorted(r.errors)}`;
    let actual: string;
    try {
      const request = makeRequest(
        uidFromJson(r.principal, 'principal'),
        uidFromJson(r.action, 'action'),
        uidFromJson(r.resource, 'resource'),
        recordFromJson(r.context, 'context'),
      );
      const result = authorize(policies, request, store);
      actual = `${result.decision} reasons=${sorted(result.reasons)} errors=${sorted(result.errors.map((e) => e.policyId))}`;
    } catch (err) {
      actual = `threw: ${String(err)}`;
    }
    if (actual === expected) run.matched++;
    else run.mismatches.push({ test: manifestPath, request: r.description, expected, actual });
  }
  return run;
}
