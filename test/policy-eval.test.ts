// Evaluator semantics that are easy to get subtly wrong: 64-bit overflow, exact big integers,
// short-circuit, error propagation into the decision, `like` escapes, `has`/`in`/tags on missing
// entities, structural equality, templates, explain, and bounded nesting.

import { describe, expect, it } from 'vitest';
import {
  authorize,
  CedarRecord,
  compilePolicy,
  CONDITION_FALSE,
  EntityUID,
  EvaluationError,
  explain,
  makeRequest,
  MemoryEntityStore,
  parseJson,
  parsePolicies,
  PolicyError,
  recordFromJson,
  SATISFIED,
  type AuthorizationResult,
  type CompiledPolicy,
} from '../policy/index.js';

const ENTITIES = MemoryEntityStore.fromJson(`[
  {"uid": {"type": "User", "id": "alice"}, "attrs": {"age": 30, "name": "Alice", "profile": {"address": {"city": "Oslo"}}, "big": 9007199254740993},
   "parents": [{"type": "Group", "id": "staff"}], "tags": {"level": 3}},
  {"uid": {"type": "Group", "id": "staff"}, "attrs": {}, "parents": [{"type": "Group", "id": "everyone"}]},
  {"uid": {"type": "Action", "id": "read"}, "attrs": {}, "parents": [{"type": "Action", "id": "readOnly"}]}
]`);

const alice = new EntityUID('User', 'alice');
const read = new EntityUID('Action', 'read');
const doc = new EntityUID('Doc', 'd1');

function compileAll(text: string): CompiledPolicy[] {
  return parsePolicies(text).map((p) => compilePolicy(p.id, p.est));
}

function decide(text: string, context: unknown = {}): AuthorizationResult {
  const req = makeRequest(alice, read, doc, recordFromJson(parseJson(JSON.stringify(context)), 'context'));
  return authorize(compileAll(text), req, ENTITIES);
}

/** 'allow' | 'deny' | 'error' for `permit when { cond }`. */
function when(cond: string, contextJson = '{}'): string {
  const req = makeRequest(alice, read, doc, recordFromJson(parseJson(contextJson), 'context'));
  const r = authorize(compileAll(`permit(principal, action, resource) when { ${cond} };`), req, ENTITIES);
  return r.errors.length > 0 ? 'error' : r.decision;
}

describe('Long arithmetic is 64-bit with overflow errors', () => {
  it('errors instead of wrapping or rounding', () => {
    expect(when('9223372036854775807 + 1 > 0')).toBe('error');
    expect(when('-9223372036854775808 - 1 < 0')).toBe('error');
    expect(when('4611686018427387904 * 2 > 0')).toBe('error');
    expect(when('-(-9223372036854775808) > 0')).toBe('error');
    expect(when('-4611686018427387904 * 2 == -9223372036854775808')).toBe('allow');
    expect(when('9223372036854775807 - 9223372036854775807 == 0')).toBe('allow');
  });

  it('keeps integers beyond 2^53 exact (a double would say equal)', () => {
    expect(when('9007199254740992 + 1 == 9007199254740993')).toBe('allow');
    expect(when('9007199254740992 + 1 == 9007199254740992')).toBe('deny');
    expect(when('principal.big == 9007199254740993')).toBe('allow');
    expect(when('principal.big == 9007199254740992')).toBe('deny');
    expect(when('context.n > 9007199254740992', '{"n": 9007199254740993}')).toBe('allow');
    expect(when('context.n - 1 == 9223372036854775806', '{"n": 9223372036854775807}')).toBe('allow');
  });

  it('compares across the safe-integer boundary', () => {
    expect(when('9007199254740993 > 5')).toBe('allow');
    expect(when('-9007199254740993 < -9007199254740992')).toBe('allow');
    expect(when('9223372036854775807 >= 9223372036854775806')).toBe('allow');
  });
});

describe('short-circuit and type errors', () => {
  it('does not evaluate the right side once the left decides', () => {
    expect(when('false && (1 + "a" == 2)')).toBe('deny');
    expect(when('true || principal.missing')).toBe('allow');
    expect(when('if true then true else 1 + "a"')).toBe('allow');
  });

  it('errors on non-boolean operands of && || ! and if', () => {
    expect(when('true && 1')).toBe('error');
    expect(when('false || "x"')).toBe('error');
    expect(when('1 && true')).toBe('error');
    expect(when('!1')).toBe('error');
    expect(when('if 1 then true else true')).toBe('error');
  });

  it('errors when a condition is not a boolean', () => {
    expect(when('1')).toBe('error');
  });

  it('stops at the first false condition, before a later one could error', () => {
    const r = decide('permit(principal, action, resource) when { false } when { 1 + "a" };');
    expect(r).toEqual({ decision: 'deny', reasons: [], errors: [] });
  });

  it('skips conditions entirely when the scope does not match', () => {
    const r = decide('permit(principal == User::"bob", action, resource) when { 1 + "a" };');
    expect(r.errors).toEqual([]);
  });
});

describe('errors in the decision', () => {
  it('an erroring forbid does not deny, and is reported', () => {
    const r = decide(`
      permit(principal, action, resource);
      forbid(principal, action, resource) when { principal.missing == 1 };`);
    expect(r.decision).toBe('allow');
    expect(r.reasons).toEqual(['policy0']);
    expect(r.errors.map((e) => [e.policyId, e.code])).toEqual([['policy1', 'PCL_POLICY_EVAL_NO_ATTRIBUTE']]);
  });

  it('an erroring permit does not allow', () => {
    const r = decide('permit(principal, action, resource) when { principal.age + "x" > 1 };');
    expect(r.decision).toBe('deny');
    expect(r.errors.map((e) => e.code)).toEqual(['PCL_POLICY_EVAL_TYPE']);
  });

  it('forbid wins over permit, and the forbids are the reasons', () => {
    const r = decide(`
      @id("p") permit(principal, action, resource);
      @id("f") forbid(principal in Group::"everyone", action, resource);`);
    expect(r).toEqual({ decision: 'deny', reasons: ['f'], errors: [] });
  });

  it('denies by default', () => {
    expect(decide('')).toEqual({ decision: 'deny', reasons: [], errors: [] });
  });

  it('error messages name attributes, never values', () => {
    const r = decide('permit(principal, action, resource) when { context.secret == principal.nope };', { secret: 'hunter2' });
    expect(r.errors[0]?.message).toContain('nope');
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('like', () => {
  it('matches * as any sequence and \\* as a literal star', () => {
    expect(when('"a*c" like "a\\*c"')).toBe('allow');
    expect(when('"abc" like "a\\*c"')).toBe('deny');
    expect(when('"abc" like "a*c"')).toBe('allow');
    expect(when('"" like "*"')).toBe('allow');
    expect(when('"aa" like "a*a*a"')).toBe('deny');
    expect(when('"aaa" like "a*a*a"')).toBe('allow');
    expect(when('"abcabc" like "*abc"')).toBe('allow');
    expect(when('"ü😀x" like "*😀?"')).toBe('deny');
    expect(when('"ü😀x" like "ü*x"')).toBe('allow');
  });

  it('is a type error on a non-string', () => {
    expect(when('1 like "*"')).toBe('error');
  });
});

describe('attributes, has, in and tags', () => {
  it('reads nested attributes and the multi-attribute has form', () => {
    expect(when('principal.profile.address.city == "Oslo"')).toBe('allow');
    expect(when('principal has profile.address.city')).toBe('allow');
    expect(when('principal has profile.address.zip')).toBe('deny');
    expect(when('principal has nope.address')).toBe('deny');
    // `{a: 1} has a.b` needs `1 has b`: a type error, as in Cedar.
    expect(when('{a: 1} has a.b')).toBe('error');
  });

  it('treats a missing entity per Cedar: has/hasTag false, attribute/getTag error, in only by equality', () => {
    expect(when('User::"ghost" has name')).toBe('deny');
    expect(when('User::"ghost".name == "x"')).toBe('error');
    expect(when('User::"ghost".hasTag("level")')).toBe('deny');
    expect(when('User::"ghost".getTag("level") == 3')).toBe('error');
    expect(when('User::"ghost" in User::"ghost"')).toBe('allow');
    expect(when('User::"ghost" in Group::"staff"')).toBe('deny');
  });

  it('follows the hierarchy transitively, for entities and sets', () => {
    expect(when('principal in Group::"everyone"')).toBe('allow');
    expect(when('principal in [Group::"x", Group::"everyone"]')).toBe('allow');
    expect(when('principal in [Group::"x"]')).toBe('deny');
    expect(when('principal in []')).toBe('deny');
    expect(when('action in Action::"readOnly"')).toBe('allow');
  });

  it('is a type error on non-entities in `in`, even after a match', () => {
    expect(when('principal in [Group::"everyone", 1]')).toBe('error');
    expect(when('1 in [1]')).toBe('error');
    expect(when('principal in {a: 1}')).toBe('error');
  });

  it('reads tags', () => {
    expect(when('principal.hasTag("level") && principal.getTag("level") == 3')).toBe('allow');
    expect(when('principal.getTag("nope") == 3')).toBe('error');
    expect(when('principal.getTag(1) == 3')).toBe('error');
  });

  it('checks entity types with is and is ... in', () => {
    expect(when('principal is User')).toBe('allow');
    expect(when('principal is User in Group::"everyone"')).toBe('allow');
    expect(when('principal is Group in 1')).toBe('deny');
    expect(when('principal is User in 1')).toBe('error');
    expect(when('1 is User')).toBe('error');
  });
});

describe('equality and sets', () => {
  it('is structural, and different types are just unequal', () => {
    expect(when('[1, true, "x"] == [true, "x", 1, 1]')).toBe('allow');
    expect(when('{a: [1, 2], b: {c: User::"alice"}} == {b: {c: principal}, a: [2, 1]}')).toBe('allow');
    expect(when('1 == "1"')).toBe('deny');
    expect(when('decimal("1.0") == 1')).toBe('deny');
    expect(when('principal != User::"bob"')).toBe('allow');
  });

  it('implements contains/containsAll/containsAny/isEmpty with type errors', () => {
    expect(when('[[1], {a: 2}].contains({a: 2})')).toBe('allow');
    expect(when('[1, 2, 3].containsAll([3, 1])')).toBe('allow');
    expect(when('[1, 2].containsAny([5, 2])')).toBe('allow');
    expect(when('[1, 2].containsAny([])')).toBe('deny');
    expect(when('[].isEmpty()')).toBe('allow');
    expect(when('"abc".contains("a")')).toBe('error');
    expect(when('[1].containsAll(1)')).toBe('error');
  });

  it('compares large sets by value', () => {
    const items = Array.from({ length: 50 }, (_, i) => i).join(', ');
    const reversed = Array.from({ length: 50 }, (_, i) => 49 - i).join(', ');
    expect(when(`[${items}] == [${reversed}] && [${items}].contains(49) && ![${items}].contains(50)`)).toBe('allow');
  });
});

describe('templates', () => {
  const [template] = parsePolicies('permit(principal == ?principal, action, resource in ?resource) when { principal.age > 18 };');

  it('links slots at compile time', () => {
    expect(template?.kind).toBe('template');
    expect(template?.slots).toEqual(['?principal', '?resource']);
    const link = compilePolicy('link1', template!.est, { slots: { '?principal': alice, '?resource': doc }, templateId: template!.id });
    expect(link.templateId).toBe('policy0');
    expect(link.scope.principal).toEqual({ op: 'eq', entity: alice });
    expect(link.evaluate(makeRequest(alice, read, doc), ENTITIES)).toBe(SATISFIED);
    expect(link.evaluate(makeRequest(new EntityUID('User', 'bob'), read, doc), ENTITIES)).toBe(1);
  });

  it('refuses to compile an unlinked slot', () => {
    expect(() => compilePolicy('t', template!.est)).toThrow(expect.objectContaining({ code: 'PCL_POLICY_UNLINKED_SLOT' }));
  });
});

describe('explain', () => {
  it('says which part of each policy did not hold', () => {
    const policies = compileAll(`
      @id("wrong-principal") permit(principal == User::"bob", action, resource);
      @id("wrong-action") permit(principal, action == Action::"write", resource);
      @id("wrong-resource") permit(principal, action, resource is Folder);
      @id("second-when") permit(principal, action, resource) when { true } when { principal.age > 40 };
      @id("unless") permit(principal, action, resource) unless { principal.age > 18 };
      @id("error") permit(principal, action, resource) when { principal.nope };`);
    const ex = explain(policies, makeRequest(alice, read, doc), ENTITIES);
    expect(ex.decision).toBe('deny');
    expect(ex.policies.map((v) => [v.policyId, v.outcome, 'condition' in v ? v.condition : 'code' in v ? v.code : undefined])).toEqual([
      ['wrong-principal', 'principal', undefined],
      ['wrong-action', 'action', undefined],
      ['wrong-resource', 'resource', undefined],
      ['second-when', 'when', 1],
      ['unless', 'unless', 0],
      ['error', 'error', 'PCL_POLICY_EVAL_NO_ATTRIBUTE'],
    ]);
    expect(ex.errors.map((e) => e.policyId)).toEqual(['error']);
  });

  it('matches authorize on the decision', () => {
    const policies = compileAll('permit(principal, action, resource) when { principal.age > 18 };');
    const req = makeRequest(alice, read, doc);
    const { policies: verdicts, ...result } = explain(policies, req, ENTITIES);
    expect(result).toEqual(authorize(policies, req, ENTITIES));
    expect(verdicts).toEqual([{ policyId: 'policy0', effect: 'permit', outcome: 'satisfied' }]);
  });
});

describe('compiled policies', () => {
  it('return outcome codes without allocating on the happy path', () => {
    const [p] = compileAll('permit(principal, action, resource) when { principal.age > 40 };');
    expect(p!.evaluate(makeRequest(alice, read, doc), ENTITIES)).toBe(CONDITION_FALSE);
  });

  it('return the evaluation error as a value', () => {
    const [p] = compileAll('permit(principal, action, resource) when { principal.nope };');
    const o = p!.evaluate(makeRequest(alice, read, doc), ENTITIES);
    expect(o).toBeInstanceOf(EvaluationError);
  });

  it('keep a constant error for evaluation time instead of failing to compile', () => {
    const [p] = compileAll('permit(principal, action, resource) when { principal.age < 0 && 9223372036854775807 + 1 > 0 };');
    expect(p!.evaluate(makeRequest(alice, read, doc), ENTITIES)).toBe(CONDITION_FALSE);
  });

  it('reject expressions nested beyond the limit with a clear error, not a stack overflow', () => {
    let body: unknown = { Value: true };
    for (let i = 0; i < 5000; i++) body = { '!': { arg: body } };
    const est = { effect: 'permit', principal: { op: 'All' }, action: { op: 'All' }, resource: { op: 'All' }, conditions: [{ kind: 'when', body }] };
    expect(() => compilePolicy('deep', est as never)).toThrow(expect.objectContaining({ code: 'PCL_POLICY_TOO_COMPLEX' }));
  });

  it('reject malformed policy JSON and unknown functions', () => {
    const base = { effect: 'permit', principal: { op: 'All' }, action: { op: 'All' }, resource: { op: 'All' } };
    expect(() => compilePolicy('x', { ...base, effect: 'allow' } as never)).toThrow(expect.objectContaining({ code: 'PCL_POLICY_INVALID_JSON_POLICY' }));
    expect(() => compilePolicy('x', { ...base, conditions: [{ kind: 'when', body: { nope: [] } }] } as never)).toThrow(
      expect.objectContaining({ code: 'PCL_POLICY_UNKNOWN_FUNCTION' }),
    );
    expect(() => compilePolicy('x', { ...base, conditions: [{ kind: 'when', body: { '==': { left: { Value: 1 } } } }] } as never)).toThrow(PolicyError);
    expect(() => compilePolicy('x', { ...base, conditions: [{ kind: 'when', body: { Value: null } }] } as never)).toThrow(PolicyError);
  });

  it('expose a normalized scope for indexing', () => {
    const [p] = compileAll('forbid(principal is User in Group::"staff", action in [Action::"read", Action::"write"], resource);');
    expect(p!.scope).toEqual({
      principal: { op: 'is', entityType: 'User', in: new EntityUID('Group', 'staff') },
      action: { op: 'in', entities: [read, new EntityUID('Action', 'write')] },
      resource: { op: 'any' },
    });
  });

  it('accept requests only with entity uids and a record context', () => {
    expect(() => makeRequest(alice, read, doc, {} as CedarRecord)).toThrow(expect.objectContaining({ code: 'PCL_POLICY_REQUEST_INVALID' }));
  });
});
