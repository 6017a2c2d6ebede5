// The authorization decision. Cedar's rule, and the only place it is applied: deny by default; any
// satisfied forbid denies (the forbids are the reasons); otherwise any satisfied permit allows (the
// permits are the reasons). A policy that errors does not apply and is listed in `errors`, whatever
// its effect. `explain` runs the same evaluation and also says, for every policy that did not apply,
// which part stopped it.

import type { EntityStore } from './entities.js';
import { EvaluationError, type EvaluationErrorCode } from './errors.js';
import type { CompiledPolicy } from './eval/policy.js';
import {
  ACTION_MISMATCH,
  CONDITION_FALSE,
  PRINCIPAL_MISMATCH,
  RESOURCE_MISMATCH,
  SATISFIED,
  type PolicyOutcome,
  type Request,
} from './eval/types.js';

/** A policy that errored on this request (so it did not apply), and why. */
export interface PolicyEvaluationError {
  readonly policyId: string;
  readonly code: EvaluationErrorCode;
  readonly message: string;
}

/** Cedar's answer: the decision, the policies that determined it, and the policies that errored. */
export interface AuthorizationResult {
  readonly decision: 'allow' | 'deny';
  /** Ids of the policies that determined the decision (satisfied forbids on deny, permits on allow). */
  readonly reasons: readonly string[];
  /** Policies that errored, in evaluation order. */
  readonly errors: readonly PolicyEvaluationError[];
}

/** Why one policy did or did not apply. */
export type PolicyVerdict =
  | { readonly policyId: string; readonly effect: 'permit' | 'forbid'; readonly outcome: 'satisfied' }
  | { readonly policyId: string; readonly effect: 'permit' | 'forbid'; readonly outcome: 'principal' | 'action' | 'resource' }
  | {
      readonly policyId: string;
      readonly effect: 'permit' | 'forbid';
      readonly outcome: 'when' | 'unless';
      /** Index of the condition that did not hold, in source order. */
      readonly condition: number;
    }
  | { readonly policyId: string; readonly effect: 'permit' | 'forbid'; readonly outcome: 'error'; readonly code: EvaluationErrorCode; readonly message: string };

/** An authorization result with a verdict for every evaluated policy. */
export interface Explanation extends AuthorizationResult {
  /** One verdict per policy evaluated, in evaluation order. */
  readonly policies: readonly PolicyVerdict[];
}

const NONE: readonly string[] = Object.freeze([]);
/** Shared by every result without errors (the usual case): one less allocation per decision. */
const NO_ERRORS: readonly PolicyEvaluationError[] = Object.freeze([]);

/**
 * Decide a request against policies. Pass every policy, or only the candidates an index selected:
 * a policy whose scope cannot match never applies and never errors, so leaving it out changes
 * nothing.
 *
 * @example
 * const result = authorize(policies, makeRequest(alice, readAction, doc), store);
 * if (result.decision === 'allow') proxy(); else reply.code(403);
 */
export function authorize(policies: Iterable<CompiledPolicy>, request: Request, entities: EntityStore): AuthorizationResult {
  const tally = new Tally();
  for (const p of policies) tally.add(p, p.evaluate(request, entities));
  return tally.result();
}

/**
 * `authorize` for policies whose scopes are already known to match the request (what a PolicySet's
 * scope index selects: see index/scope-index.ts): only their conditions are evaluated. The scope
 * checks would re-read the request's entities and each policy's captured uids, which at 10,000
 * policies are cache misses; the index has already decided them exactly. Same rule, same result.
 */
export function authorizeMatched(policies: readonly CompiledPolicy[], request: Request, entities: EntityStore): AuthorizationResult {
  const tally = new Tally();
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as CompiledPolicy;
    tally.add(p, p.evaluateConditions(request, entities));
  }
  return tally.result();
}

/** Collects satisfied permits, satisfied forbids and errors; arrays only when something lands in them. */
class Tally {
  private permits: string[] | undefined = undefined;
  private forbids: string[] | undefined = undefined;
  private errors: PolicyEvaluationError[] | undefined = undefined;

  add(p: CompiledPolicy, o: PolicyOutcome): void {
    if (o === SATISFIED) {
      if (p.effect === 'forbid') (this.forbids ??= []).push(p.id);
      else (this.permits ??= []).push(p.id);
    } else if (o instanceof EvaluationError) {
      (this.errors ??= []).push({ policyId: p.id, code: o.code, message: o.message });
    }
  }

  result(): AuthorizationResult {
    return decide(this.permits, this.forbids, this.errors);
  }
}

function decide(permits: string[] | undefined, forbids: string[] | undefined, errors: PolicyEvaluationError[] | undefined): AuthorizationResult {
  const errs = errors ?? NO_ERRORS;
  if (forbids !== undefined) return { decision: 'deny', reasons: forbids, errors: errs };
  if (permits !== undefined) return { decision: 'allow', reasons: permits, errors: errs };
  return { decision: 'deny', reasons: NONE, errors: errs };
}

/**
 * `authorize` plus a verdict per policy: which scope part or condition did not hold, or the error.
 * One small object per evaluated policy, so it is cheap enough for every denied request.
 *
 * @example
 * const ex = explain(policies, request, store);
 * for (const v of ex.policies) if (v.outcome !== 'satisfied') log.debug(v);
 */
export function explain(policies: Iterable<CompiledPolicy>, request: Request, entities: EntityStore): Explanation {
  let permits: string[] | undefined;
  let forbids: string[] | undefined;
  let errors: PolicyEvaluationError[] | undefined;
  const verdicts: PolicyVerdict[] = [];
  for (const p of policies) {
    const o = p.evaluate(request, entities);
    verdicts.push(verdict(p, o));
    if (o === SATISFIED) {
      if (p.effect === 'forbid') (forbids ??= []).push(p.id);
      else (permits ??= []).push(p.id);
    } else if (o instanceof EvaluationError) {
      (errors ??= []).push({ policyId: p.id, code: o.code, message: o.message });
    }
  }
  return { ...decide(permits, forbids, errors), policies: verdicts };
}

/**
 * Turn an outcome of `CompiledPolicy.evaluate` into a readable verdict.
 *
 * @example
 * verdict(policy, policy.evaluate(request, store)).outcome // 'satisfied' | 'principal' | ... | 'error'
 */
export function verdict(p: CompiledPolicy, o: PolicyOutcome): PolicyVerdict {
  const base = { policyId: p.id, effect: p.effect };
  if (o instanceof EvaluationError) return { ...base, outcome: 'error', code: o.code, message: o.message };
  switch (o) {
    case SATISFIED:
      return { ...base, outcome: 'satisfied' };
    case PRINCIPAL_MISMATCH:
      return { ...base, outcome: 'principal' };
    case ACTION_MISMATCH:
      return { ...base, outcome: 'action' };
    case RESOURCE_MISMATCH:
      return { ...base, outcome: 'resource' };
    default: {
      const condition = o - CONDITION_FALSE;
      return { ...base, outcome: p.conditions[condition] ?? 'when', condition };
    }
  }
}
