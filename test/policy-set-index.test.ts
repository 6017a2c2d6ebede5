// The scope index alone: it must never drop a policy that could apply, and it keeps exactly those
// whose scope matches. "Could apply" is judged by the compiled policies themselves (a policy whose
// scope matches returns anything but a scope mismatch), on random gateway-shaped sets and, for
// scale, on the bench workload.
import { describe, expect, it } from 'vitest';
import type { EntityStore } from '../policy/entities.js';
import type { CompiledPolicy } from '../policy/eval/policy.js';
import { ACTION_MISMATCH, PRINCIPAL_MISMATCH, RESOURCE_MISMATCH, type Request } from '../policy/eval/types.js';
import { ScopeIndex, type AncestorSet, type EntityProbe, type RequestProbe } from '../policy/index/scope-index.js';
import { indexScopes } from '../policy/index/scope.js';
import { EntityUID } from '../policy/values/index.js';
import { gatewayWorkload } from '../bench/policy/workload.js';
import { Rng, randomScenario, toCompiledPolicies, toEntityStore, toRequest } from './helpers/policy-gen.js';

const NONE = new Set<string>();

function probeOf(req: Request, store: EntityStore, hasOnly: boolean): RequestProbe {
  const ent = (u: EntityUID): EntityProbe => {
    const anc = store.get(u)?.ancestors ?? NONE;
    // A store that can only answer `has` (the EntityStore contract's minimum) must work too.
    const ancestors: AncestorSet = hasOnly ? { has: (k) => anc.has(k) } : anc;
    return { key: u.key, type: u.type, ancestors };
  };
  return { principal: ent(req.principal), action: ent(req.action), resource: ent(req.resource) };
}

function scopeMatches(p: CompiledPolicy, req: Request, store: EntityStore): boolean {
  const o = p.evaluate(req, store);
  return o !== PRINCIPAL_MISMATCH && o !== ACTION_MISMATCH && o !== RESOURCE_MISMATCH;
}

describe('scope index', () => {
  for (const hasOnly of [false, true]) {
    it(`selects exactly the policies whose scope matches (random gateway-shaped sets${hasOnly ? ', has-only ancestor sets' : ''})`, () => {
      const rng = new Rng(hasOnly ? 0xa11 : 0x5eed);
      let checked = 0;
      let matched = 0;
      let selected = 0;
      let total = 0;
      const dims = new Map<string, number>();
      for (let set = 0; set < 100; set++) {
        // Small sets, and large ones where the principal side must be probed too (see the index).
        const s = randomScenario(rng, { policies: set % 3 === 0 ? rng.int(60, 160) : rng.int(1, 40), requests: 30 });
        const policies = toCompiledPolicies(s);
        const store = toEntityStore(s.entities);
        const idx = new ScopeIndex(policies.map((p) => indexScopes(p.scope)));
        for (const q of s.requests) {
          const req = toRequest(q);
          const n = idx.select(probeOf(req, store, hasOnly));
          const got = Array.from(idx.selected.subarray(0, n));
          expect(got).toEqual([...new Set(got)].sort((x, y) => x - y)); // ascending, no duplicates
          const chosen = new Set(got);
          policies.forEach((p, i) => {
            const applies = scopeMatches(p, req, store);
            if (applies) matched++;
            // Never drop one that applies (the safety property); never keep one that cannot (the
            // intersection is exact, so the evaluator is handed nothing it will reject on scope).
            if (applies && !chosen.has(i)) throw new Error(`dropped ${p.id} for ${JSON.stringify(q)}: ${JSON.stringify(p.est)}`);
            if (!applies && chosen.has(i)) throw new Error(`kept ${p.id} for ${JSON.stringify(q)}: ${JSON.stringify(p.est)}`);
          });
          checked++;
          dims.set(idx.lastDimension, (dims.get(idx.lastDimension) ?? 0) + 1);
          selected += n;
          total += policies.length;
        }
      }
      expect(checked).toBe(100 * 30);
      expect(matched).toBeGreaterThan(5_000); // the generator must produce matching scopes at all
      expect(selected).toBeLessThan(total * 0.8); // and the index must actually narrow something
      expect([...dims.keys()].sort()).toEqual(['action', 'principal', 'resource']); // every path taken
    });
  }

  it('files `action in [GET, read]` in two buckets but selects it once', () => {
    const [p] = toCompiledPolicies({ policies: [{ id: 'p', text: 'permit(principal, action in [Action::"GET", Action::"read"], resource);' }], templates: [], links: [] });
    const idx = new ScopeIndex([indexScopes((p as CompiledPolicy).scope)]);
    const k = (t: string, id: string) => new EntityUID(t, id).key;
    const probe: RequestProbe = {
      principal: { key: k('User', 'a'), type: 'User', ancestors: NONE },
      action: { key: k('Action', 'GET'), ancestors: new Set([k('Action', 'read')]) },
      resource: { key: k('Route', 'r'), type: 'Route', ancestors: NONE },
    };
    expect(idx.select(probe)).toBe(1);
    expect(idx.selected[0]).toBe(0);
  });

  it('at 10,000 policies a request touches a handful of candidates', () => {
    const w = gatewayWorkload(10_000, 500);
    const policies = toCompiledPolicies({ policies: w.policies, templates: [], links: [] });
    const store = toEntityStore(w.entities);
    const idx = new ScopeIndex(policies.map((p) => indexScopes(p.scope)));
    let max = 0;
    let sum = 0;
    for (const q of w.requests) {
      const n = idx.select(probeOf(toRequest(q), store, false));
      max = Math.max(max, n);
      sum += n;
    }
    // 9 policies per service plus 1 global forbid: the resource dimension never offers more than 10
    // to walk, and the intersection keeps only those whose role and method match too.
    expect(max).toBeLessThanOrEqual(4);
    expect(sum / w.requests.length).toBeLessThan(2);
    expect(idx.lastWalked).toBeLessThanOrEqual(10);
    expect(idx.stats().policies).toBe(10_000);
  });
});
