// A compiled policy: its scope turned into three cheap entity checks and its when/unless clauses
// into closures, all built once. Evaluation follows Cedar: principal, action and resource scope
// first (they cannot error), then each condition in source order with short-circuit, so a false
// condition stops evaluation before a later one could error.

import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { EntityStore } from '../entities.js';
import { uidFromJson } from '../entities/value-json.js';
import { EvaluationError, PolicyError } from '../errors.js';
import { EntityUID } from '../values/index.js';
import { compileExpr } from './compile-expr.js';
import { typeError } from './ops.js';
import {
  ACTION_MISMATCH,
  CONDITION_FALSE,
  PRINCIPAL_MISMATCH,
  RESOURCE_MISMATCH,
  SATISFIED,
  type Code,
  type PolicyOutcome,
  type PolicyScope,
  type Request,
  type ScopeConstraint,
} from './types.js';

export type { PolicyJson };

/** Template slot values for linking, e.g. `{ '?principal': new EntityUID('User', 'alice') }`. */
export type SlotValues = Readonly<Partial<Record<'?principal' | '?resource', EntityUID>>>;

/** How to compile: slot values and the template id when linking a template. */
export interface CompileOptions {
  /** Values for `?principal` / `?resource` when `est` is a template being linked. */
  slots?: SlotValues;
  /** The template's id, recorded on the compiled link. */
  templateId?: string;
}

/**
 * A policy ready to evaluate. Immutable; safe to share between requests and across a policy-set
 * swap.
 */
export interface CompiledPolicy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  /** Annotations (`@key("value")`; a bare `@key` has the value ''). */
  readonly annotations: Readonly<Record<string, string>>;
  readonly scope: PolicyScope;
  /** The kind of each condition, in source order (index i matches `CONDITION_FALSE + i`). */
  readonly conditions: readonly ('when' | 'unless')[];
  /** Set when this policy is a template link. */
  readonly templateId: string | undefined;
  /** The policy JSON it was compiled from (Long literals beyond ±2^53 are bigint). */
  readonly est: PolicyJson;
  /**
   * Does the policy apply to this request? Returns a PolicyOutcome: `SATISFIED` (0), the scope part
   * or condition that did not hold, or the EvaluationError that made it not apply. Allocates nothing
   * unless it errors.
   */
  evaluate(request: Request, entities: EntityStore): PolicyOutcome;
  /**
   * `evaluate` for a policy whose scope is already known to match the request (a PolicySet's scope
   * index selects exactly those): only the conditions run. Never `*_MISMATCH`.
   */
  evaluateConditions(request: Request, entities: EntityStore): PolicyOutcome;
}

type ScopeCheck = ((uid: EntityUID, entities: EntityStore) => boolean) | null;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Compiled implements CompiledPolicy {
  readonly conditions: readonly ('when' | 'unless')[];

  constructor(
    readonly id: string,
    readonly effect: 'permit' | 'forbid',
    readonly annotations: Readonly<Record<string, string>>,
    readonly scope: PolicyScope,
    readonly templateId: string | undefined,
    readonly est: PolicyJson,
    private readonly principalCheck: ScopeCheck,
    private readonly actionCheck: ScopeCheck,
    private readonly resourceCheck: ScopeCheck,
    private readonly clauses: readonly Code[],
    /** Per clause, the boolean that makes it fail: false for `when`, true for `unless`. */
    private readonly failsOn: readonly boolean[],
  ) {
    this.conditions = failsOn.map((f) => (f ? 'unless' : 'when'));
  }

  evaluate(request: Request, entities: EntityStore): PolicyOutcome {
    if (this.principalCheck !== null && !this.principalCheck(request.principal, entities)) return PRINCIPAL_MISMATCH;
    if (this.actionCheck !== null && !this.actionCheck(request.action, entities)) return ACTION_MISMATCH;
    if (this.resourceCheck !== null && !this.resourceCheck(request.resource, entities)) return RESOURCE_MISMATCH;
    return this.evaluateConditions(request, entities);
  }

  evaluateConditions(request: Request, entities: EntityStore): PolicyOutcome {
    const clauses = this.clauses;
    try {
      for (let i = 0; i < clauses.length; i++) {
        const v = (clauses[i] as Code)(request, entities);
        if (typeof v !== 'boolean') throw typeError('bool', v);
        if (v === this.failsOn[i]) return CONDITION_FALSE + i;
      }
    } catch (err) {
      // Anything else is a bug; let it escape so the caller fails closed instead of guessing.
      if (err instanceof EvaluationError) return err;
      throw err;
    }
    return SATISFIED;
  }
}

function policyError(id: string, message: string): PolicyError {
  return new PolicyError('PCL_POLICY_INVALID_JSON_POLICY', `${id}: ${message}`, { details: [{ message, policyId: id }] });
}

/** `{"entity": uid}` or `{"slot": "?principal"}` of a scope constraint. */
function scopeEntity(c: Record<string, unknown>, id: string, where: string, slots: SlotValues): EntityUID {
  if ('slot' in c) {
    const name = c.slot;
    const uid = name === '?principal' || name === '?resource' ? slots[name] : undefined;
    if (uid === undefined) throw new PolicyError('PCL_POLICY_UNLINKED_SLOT', `${id}: ${where} uses slot ${String(name)}`, { details: [{ message: `slot ${String(name)} has no value`, policyId: id }] });
    return uid;
  }
  if (!('entity' in c)) throw policyError(id, `${where}: expected "entity" or "slot"`);
  return uidFromJson(c.entity, `${id}.${where}.entity`);
}

function compileScope(c: unknown, id: string, where: 'principal' | 'action' | 'resource', slots: SlotValues): [ScopeConstraint, ScopeCheck] {
  if (!isObj(c)) throw policyError(id, `${where}: expected a scope constraint object`);
  switch (c.op) {
    case 'All':
      return [{ op: 'any' }, null];
    case '==': {
      const e = scopeEntity(c, id, where, slots);
      return [{ op: 'eq', entity: e }, (u) => u.id === e.id && u.type === e.type];
    }
    case 'in': {
      if (where === 'action' && 'entities' in c) {
        if (!Array.isArray(c.entities)) throw policyError(id, 'action: "entities" must be an array');
        const list = c.entities.map((x: unknown, i) => uidFromJson(x, `${id}.action.entities[${i}]`));
        return [{ op: 'in', entities: list }, (u, s) => inAny(u, list, s)];
      }
      const e = scopeEntity(c, id, where, slots);
      return [{ op: 'in', entities: [e] }, (u, s) => (u.id === e.id && u.type === e.type) || s.get(u)?.ancestors.has(e.key) === true];
    }
    case 'is': {
      if (where === 'action') throw policyError(id, 'action: `is` is not allowed on the action');
      const type = c.entity_type;
      if (typeof type !== 'string') throw policyError(id, `${where}: "entity_type" must be a string`);
      if (c.in === undefined) return [{ op: 'is', entityType: type }, (u) => u.type === type];
      if (!isObj(c.in)) throw policyError(id, `${where}: "in" must be an object`);
      const e = scopeEntity(c.in, id, where, slots);
      return [
        { op: 'is', entityType: type, in: e },
        (u, s) => u.type === type && ((u.id === e.id && u.type === e.type) || s.get(u)?.ancestors.has(e.key) === true),
      ];
    }
    default:
      throw policyError(id, `${where}: unknown scope operator ${JSON.stringify(c.op)}`);
  }
}

function inAny(u: EntityUID, list: readonly EntityUID[], s: EntityStore): boolean {
  for (const e of list) if (u.id === e.id && u.type === e.type) return true;
  const anc = s.get(u)?.ancestors;
  if (anc === undefined) return false;
  for (const e of list) if (anc.has(e.key)) return true;
  return false;
}

/**
 * Compile a policy (or link a template, with `options.slots`) from Cedar's JSON form. Throws a
 * PolicyError for malformed JSON, unknown functions, unlinked slots or excessive nesting; never
 * for things Cedar reports at evaluation time (those become EvaluationErrors per request).
 *
 * @example
 * const [parsed] = parsePolicies('permit(principal, action, resource) when { context.mfa };');
 * const policy = compilePolicy(parsed.id, parsed.est);
 * policy.evaluate(request, store) === SATISFIED
 */
export function compilePolicy(id: string, est: PolicyJson, options: CompileOptions = {}): CompiledPolicy {
  const raw: unknown = est;
  if (!isObj(raw)) throw policyError(id, 'expected a policy object');
  if (raw.effect !== 'permit' && raw.effect !== 'forbid') throw policyError(id, '"effect" must be "permit" or "forbid"');
  const slots = options.slots ?? {};
  const [principal, pc] = compileScope(raw.principal, id, 'principal', slots);
  const [action, ac] = compileScope(raw.action, id, 'action', slots);
  const [resource, rc] = compileScope(raw.resource, id, 'resource', slots);
  const conditions = raw.conditions ?? [];
  if (!Array.isArray(conditions)) throw policyError(id, '"conditions" must be an array');
  const slotMap = new Map<string, EntityUID>(Object.entries(slots).filter((e): e is [string, EntityUID] => e[1] instanceof EntityUID));
  const clauses: Code[] = [];
  const failsOn: boolean[] = [];
  conditions.forEach((c: unknown, i) => {
    if (!isObj(c) || (c.kind !== 'when' && c.kind !== 'unless')) throw policyError(id, `conditions[${i}]: expected {"kind": "when" | "unless", "body"}`);
    clauses.push(compileExpr(c.body, { slots: slotMap, path: `${id}.conditions[${i}]` }));
    failsOn.push(c.kind === 'unless');
  });
  const annotations: Record<string, string> = {};
  if (raw.annotations !== undefined) {
    if (!isObj(raw.annotations)) throw policyError(id, '"annotations" must be an object');
    for (const [k, v] of Object.entries(raw.annotations)) {
      if (v !== null && typeof v !== 'string') throw policyError(id, `annotation @${k} must be a string`);
      Object.defineProperty(annotations, k, { value: v ?? '', enumerable: true });
    }
  }
  return new Compiled(id, raw.effect, Object.freeze(annotations), { principal, action, resource }, options.templateId, est, pc, ac, rc, clauses, failsOn);
}
