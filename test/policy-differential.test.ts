// Differential test: our indexed engine against cedar-wasm (the Cedar reference) on random
// gateway-shaped policy sets, entities and requests. Decision, reasons and erroring policy ids must
// be identical. CI runs a fixed seed; elsewhere the seed is random and printed, and
// POLICY_DIFF_SEED=<n> replays a run. A mismatch is shrunk to a small reproduction and printed.
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { PolicySet } from '../policy/policy-set.js';
import {
  Rng,
  randomScenario,
  toCedarWasmPolicySet,
  toCompiledPolicies,
  toEntityStore,
  toRequest,
  type GenRequest,
  type GenScenario,
} from './helpers/policy-gen.js';

const CI_SEED = 20_240_601;
const SETS = 200;
const REQUESTS_PER_SET = 50;
const PRINTED_MISMATCHES = 3;

interface Answer { decision: string; reasons: string[]; errors: string[] }
type Case = Pick<GenScenario, 'policies' | 'templates' | 'links' | 'entities'> & { request: GenRequest };

function chooseSeed(): number {
  const env = process.env.POLICY_DIFF_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`POLICY_DIFF_SEED must be an integer, got ${env}`);
    return n >>> 0;
  }
  return process.env.CI === 'true' ? CI_SEED : Math.floor(Math.random() * 2 ** 32);
}

/** Each set has its own seed, derived from the run's, so a failure names one replayable set. */
function setSeed(seed: number, i: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 2654435761) + Math.imul(i + 1, 0x85ebca6b)) >>> 0;
}

function cedarAnswer(a: cedar.AuthorizationAnswer): Answer {
  if (a.type !== 'success') return { decision: `cedar-wasm failure: ${a.errors.map((e) => e.message).join('; ')}`, reasons: [], errors: [] };
  const d = a.response.diagnostics;
  return { decision: a.response.decision, reasons: [...d.reason].sort(), errors: d.errors.map((e) => e.policyId).sort() };
}

function oursAnswer(set: PolicySet, store: ReturnType<typeof toEntityStore>, q: GenRequest): Answer {
  try {
    const r = set.isAuthorized(toRequest(q), store);
    return { decision: r.decision, reasons: [...r.reasons].sort(), errors: r.errors.map((e) => e.policyId).sort() };
  } catch (err) {
    // Throwing instead of answering is a mismatch too: the gateway would fail the request.
    return { decision: `threw: ${(err as Error).message}`, reasons: [], errors: [] };
  }
}

const same = (a: Answer, b: Answer): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Both answers for one case, from scratch (no preparsed state), as the shrinker needs. */
function answerCase(c: Case): { ours: Answer; cedar: Answer } {
  let ours: Answer;
  try {
    ours = oursAnswer(PolicySet.build(toCompiledPolicies(c)), toEntityStore(c.entities), c.request);
  } catch (err) {
    ours = { decision: `build threw: ${(err as Error).message}`, reasons: [], errors: [] };
  }
  const q = c.request;
  const theirs = cedarAnswer(cedar.isAuthorized({
    principal: q.principal, action: q.action, resource: q.resource, context: q.context,
    policies: toCedarWasmPolicySet(c), entities: c.entities,
  }));
  return { ours, cedar: theirs };
}

const mismatches = (c: Case): boolean => { const a = answerCase(c); return !same(a.ours, a.cedar); };

/** Greedy one-at-a-time removal of policies, links, entities and context keys while it still fails. */
function shrink(c: Case): Case {
  let cur = c;
  const tryDrop = <K extends 'policies' | 'links' | 'entities'>(key: K) => {
    for (let i = (cur[key] as unknown[]).length - 1; i >= 0; i--) {
      const list = [...(cur[key] as unknown[])];
      list.splice(i, 1);
      const next = { ...cur, [key]: list } as Case;
      if (mismatches(next)) cur = next;
    }
  };
  tryDrop('policies');
  tryDrop('links');
  cur = { ...cur, templates: cur.templates.filter((t) => cur.links.some((l) => l.templateId === t.id)) };
  tryDrop('entities');
  for (const k of Object.keys(cur.request.context)) {
    const { [k]: _drop, ...rest } = cur.request.context;
    const next = { ...cur, request: { ...cur.request, context: rest } };
    if (mismatches(next)) cur = next;
  }
  return cur;
}

function reproduction(c: Case, where: string): string {
  const { ours, cedar: theirs } = answerCase(c);
  const ents = (es: EntityJson[]) => es.map((e) => `  ${JSON.stringify(e)}`).join('\n');
  return [
    `--- policy differential mismatch (${where}) ---`,
    'policies:', ...c.policies.map((p) => `  @id(${JSON.stringify(p.id)}) ${p.text}`),
    ...c.templates.map((t) => `  template ${t.id}: ${t.text}`),
    ...c.links.map((l) => `  link ${l.newId} = ${l.templateId} ${JSON.stringify(l.values)}`),
    'entities:', ents(c.entities),
    `request: ${JSON.stringify(c.request)}`,
    `ours:       ${JSON.stringify(ours)}`,
    `cedar-wasm: ${JSON.stringify(theirs)}`,
  ].join('\n');
}

describe('policy engine vs cedar-wasm (differential)', () => {
  it(`agrees on ${SETS * REQUESTS_PER_SET} random gateway-shaped cases`, { timeout: 120_000 }, () => {
    const seed = chooseSeed();
    const started = performance.now();
    let cases = 0;
    let allows = 0;
    let withErrors = 0;
    const failures: { case: Case; where: string }[] = [];
    for (let i = 0; i < SETS; i++) {
      const rng = new Rng(setSeed(seed, i));
      const s = randomScenario(rng, { policies: rng.int(1, 30), requests: REQUESTS_PER_SET });
      const set = PolicySet.build(toCompiledPolicies(s));
      const store = toEntityStore(s.entities);
      const parsed = cedar.preparsePolicySet('policy-diff', toCedarWasmPolicySet(s));
      if (parsed.type !== 'success') throw new Error(`cedar-wasm rejected generated set ${i}: ${parsed.errors.map((e) => e.message).join('; ')}`);
      s.requests.forEach((q, j) => {
        const theirs = cedarAnswer(cedar.statefulIsAuthorized({
          principal: q.principal, action: q.action, resource: q.resource, context: q.context,
          preparsedPolicySetId: 'policy-diff', entities: s.entities,
        }));
        const ours = oursAnswer(set, store, q);
        cases++;
        if (theirs.decision === 'allow') allows++;
        if (theirs.errors.length > 0) withErrors++;
        if (!same(ours, theirs)) failures.push({ case: { ...s, request: q }, where: `seed ${seed}, set ${i}, request ${j}` });
      });
    }
    const seconds = (performance.now() - started) / 1000;
    console.info(`policy differential: ${cases} cases (${allows} allow, ${withErrors} with errors), seed ${seed} ` +
      `(POLICY_DIFF_SEED=${seed} to replay), ${failures.length} mismatches, ${seconds.toFixed(1)} s`);
    for (const f of failures.slice(0, PRINTED_MISMATCHES)) console.error(reproduction(shrink(f.case), f.where));
    expect(cases).toBeGreaterThanOrEqual(10_000);
    // The generator must exercise both outcomes and the error paths, or agreement means little.
    expect(allows).toBeGreaterThan(cases / 10);
    expect(withErrors).toBeGreaterThan(cases / 10);
    expect(failures.length, `mismatches (first: ${failures.slice(0, 5).map((f) => f.where).join('; ')})`).toBe(0);
  });
});
