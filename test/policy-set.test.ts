// PolicySet and PolicyEngine: the index changes how many policies are evaluated, never the answer;
// a swap publishes a fully built set or nothing; scale is judged by candidate counts, not time.
import { describe, expect, it } from 'vitest';
import { authorize } from '../policy/authorize.js';
import type { EntityData, EntityStore } from '../policy/entities.js';
import { PolicyError } from '../policy/errors.js';
import { buildPolicySet } from '../policy/load/index.js';
import { PolicyEngine, PolicySet } from '../policy/policy-set.js';
import { EntityUID } from '../policy/values/index.js';
import { gatewayWorkload } from '../bench/policy/workload.js';
import { Rng, randomScenario, toCompiledPolicies, toEntityStore, toRequest, uid, type GenRequest } from './helpers/policy-gen.js';

const compile = (texts: Record<string, string>) =>
  toCompiledPolicies({ policies: Object.entries(texts).map(([id, text]) => ({ id, text })), templates: [], links: [] });

const ENTITIES = toEntityStore([
  { uid: uid('User', 'alice'), attrs: { level: 5 }, parents: [uid('Role', 'editor')] },
  { uid: uid('Role', 'editor'), attrs: {}, parents: [uid('Role', 'viewer')] },
  { uid: uid('Action', 'GET'), attrs: {}, parents: [uid('Action', 'read')] },
  { uid: uid('Route', 'r1'), attrs: { owner: { __entity: { type: 'User', id: 'alice' } } }, parents: [uid('Service', 's1')] },
]);
const GET_R1: GenRequest = { principal: uid('User', 'alice'), action: uid('Action', 'GET'), resource: uid('Route', 'r1'), context: {} };

describe('PolicySet', () => {
  it('decides exactly as authorize() over every policy (random gateway-shaped sets)', () => {
    const rng = new Rng(0xbeef);
    let evaluated = 0;
    let total = 0;
    for (let i = 0; i < 120; i++) {
      const s = randomScenario(rng, { policies: rng.int(0, 40), requests: 25 });
      const all = toCompiledPolicies(s);
      const set = PolicySet.build(all);
      const store = toEntityStore(s.entities);
      for (const q of s.requests) {
        const req = toRequest(q);
        // Same reasons, same errors (codes and messages), same order: the index only skips.
        expect(set.isAuthorized(req, store)).toEqual(authorize(all, req, store));
        const ex = set.explain(req, store);
        expect(ex.policies.map((v) => v.policyId)).toEqual(set.candidates(req, store).map((p) => p.id));
        evaluated += ex.evaluated;
        total += ex.total;
      }
    }
    expect(evaluated).toBeLessThan(total); // it did skip something
  });

  it('works with an entity store whose ancestor sets only answer has()', () => {
    const base = ENTITIES;
    const hasOnly: EntityStore = {
      get(u: EntityUID): EntityData | undefined {
        const e = base.get(u);
        return e && { ...e, ancestors: { has: (k: string) => e.ancestors.has(k) } };
      },
    };
    const set = PolicySet.build(compile({
      viewer: 'permit(principal in Role::"viewer", action in Action::"read", resource in Service::"s1");',
      other: 'permit(principal in Role::"other", action, resource);',
    }));
    const r = set.isAuthorized(toRequest(GET_R1), hasOnly);
    expect(r).toMatchObject({ decision: 'allow', reasons: ['viewer'] });
  });

  it('explains which policies it evaluated and which index dimension chose them', () => {
    const set = PolicySet.build(compile({
      own: 'permit(principal, action == Action::"GET", resource == Route::"r1") when { resource.owner == principal };',
      late: 'forbid(principal, action, resource in Service::"s1") when { context.hour > 22 };',
      ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`x${i}`, `permit(principal, action, resource == Route::"other${i}");`])),
    }));
    const ex = set.explain(toRequest({ ...GET_R1, context: { hour: 23 } }), ENTITIES);
    expect(ex).toMatchObject({ decision: 'deny', reasons: ['late'], total: 52, evaluated: 2, dimension: 'resource' });
    expect(ex.policies.map((v) => [v.policyId, v.outcome])).toEqual([['own', 'satisfied'], ['late', 'satisfied']]);
    // An unguarded missing attribute is an error for that policy only, not a failed decision.
    const err = set.explain(toRequest(GET_R1), ENTITIES);
    expect(err).toMatchObject({ decision: 'allow', reasons: ['own'], errors: [{ policyId: 'late', code: 'PCL_POLICY_EVAL_NO_ATTRIBUTE' }] });
  });

  it('denies by default: an empty set and a request no policy targets', () => {
    expect(PolicySet.empty().isAuthorized(toRequest(GET_R1), ENTITIES)).toEqual({ decision: 'deny', reasons: [], errors: [] });
    const set = PolicySet.build(compile({ p: 'permit(principal == User::"bob", action, resource);' }));
    expect(set.explain(toRequest(GET_R1), ENTITIES)).toMatchObject({ decision: 'deny', evaluated: 0 });
  });

  it('rejects duplicate policy ids with PCL_POLICY_DUPLICATE_ID', () => {
    const [a] = compile({ p: 'permit(principal, action, resource);' });
    if (a === undefined) throw new Error('unreachable');
    expect(() => PolicySet.build([a, a])).toThrow(expect.objectContaining({ code: 'PCL_POLICY_DUPLICATE_ID' }) as PolicyError);
  });

  it('versions: the loader\'s version, an explicit one, or a digest that changes with the policies', () => {
    const loaded = buildPolicySet({
      sources: [{ file: 'a.cedar', content: '@id("a") forbid(principal, action, resource) when { context.hour > 22 };\n@id("t") permit(principal == ?principal, action, resource in ?resource);' }],
      links: { file: 'links.json', content: JSON.stringify([{ templateId: 't', newId: 'alice-s1', values: { '?principal': { type: 'User', id: 'alice' }, '?resource': { type: 'Service', id: 's1' } } }]) },
    });
    const fromLoaded = PolicySet.build(loaded);
    expect(fromLoaded.version).toBe(loaded.version);
    expect(fromLoaded.get('a')?.effect).toBe('forbid');
    expect(fromLoaded.get('alice-s1')?.templateId).toBe('t');
    // The link's filled-in slots are what the index files it under: found, and it decides.
    expect(fromLoaded.explain(toRequest({ ...GET_R1, context: { hour: 9 } }), ENTITIES)).toMatchObject({ decision: 'allow', reasons: ['alice-s1'], evaluated: 2 });
    expect(PolicySet.build(loaded, { version: 'v7' }).version).toBe('v7');
    const d1 = PolicySet.build(compile({ p: 'permit(principal, action, resource);' })).version;
    const d2 = PolicySet.build(compile({ p: 'permit(principal, action, resource);' })).version;
    const d3 = PolicySet.build(compile({ p: 'forbid(principal, action, resource);' })).version;
    expect(d1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d1).toBe(d2);
    expect(d3).not.toBe(d1);
  });

  it('at 10,000 policies a decision walks at most 10 policies and evaluates at most 4', () => {
    const w = gatewayWorkload(10_000, 300);
    const set = PolicySet.build(toCompiledPolicies({ policies: w.policies, templates: [], links: [] }));
    const store = toEntityStore(w.entities);
    let evaluated = 0;
    let walked = 0;
    for (const q of w.requests) {
      const ex = set.explain(toRequest(q), store);
      evaluated = Math.max(evaluated, ex.evaluated);
      walked = Math.max(walked, ex.walked);
    }
    expect(set.size).toBe(10_000);
    expect(walked).toBeLessThanOrEqual(10); // one service's 9 policies + the global forbid
    expect(evaluated).toBeLessThanOrEqual(4); // those whose role and method match as well
  });
});

describe('PolicyEngine swap', () => {
  // Version "vN" is one permit whose id names its version: any reason names the set that decided.
  const version = (n: number) => PolicySet.build(compile({ [`v${n}`]: 'permit(principal, action, resource);' }), { version: `v${n}` });

  it('concurrent readers see one whole version per read, never a mix', async () => {
    const engine = new PolicyEngine(version(0));
    const req = toRequest(GET_R1);
    let stop = false;
    let reads = 0;
    const seen = new Set<string>();
    const reader = async () => {
      while (!stop) {
        const set = engine.current();
        await new Promise<void>((r) => setImmediate(r)); // a swap may happen in between
        const a = set.isAuthorized(req, ENTITIES);
        const b = engine.isAuthorized(req, ENTITIES);
        expect(a.reasons).toEqual([set.version]);
        expect(b.reasons).toHaveLength(1);
        seen.add(b.reasons[0] as string);
        reads++;
      }
    };
    const writer = async () => {
      for (let n = 1; n <= 40; n++) {
        const prev = engine.current();
        const returned = engine.swap(version(n));
        expect(returned).toBe(prev);
        expect(engine.version).toBe(`v${n}`);
        await new Promise<void>((r) => setImmediate(r));
      }
      stop = true;
    };
    await Promise.all([reader(), reader(), reader(), writer()]);
    expect(reads).toBeGreaterThan(40);
    expect(seen.size).toBeGreaterThan(10); // readers really did straddle many swaps
  });

  it('replace() publishes only a fully built set; a failed build keeps the live one', () => {
    const engine = new PolicyEngine(version(1));
    const [a] = compile({ p: 'permit(principal, action, resource);' });
    if (a === undefined) throw new Error('unreachable');
    expect(() => engine.replace([a, a])).toThrow(PolicyError);
    expect(engine.version).toBe('v1');
    const next = engine.replace(compile({ f: 'forbid(principal, action, resource);' }), { version: 'v2' });
    expect(engine.current()).toBe(next);
    expect(engine.isAuthorized(toRequest(GET_R1), ENTITIES)).toMatchObject({ decision: 'deny', reasons: ['f'] });
  });

  it('an engine with no set yet denies everything', () => {
    expect(new PolicyEngine().isAuthorized(toRequest(GET_R1), ENTITIES).decision).toBe('deny');
    expect(new EntityUID('User', 'alice').key).toBe(toRequest(GET_R1).principal.key);
  });
});
