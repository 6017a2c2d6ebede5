// Shapes shared by the compiler, compiled policies and the authorizer.

import type { EntityStore } from '../entities.js';
import { PolicyError, type EvaluationError } from '../errors.js';
import { CedarRecord, EntityUID, type Value } from '../values/index.js';

/**
 * An authorization request: who (principal) does what (action) to what (resource), with a context
 * record. Build it once per HTTP request from in-memory data.
 */
export interface Request {
  readonly principal: EntityUID;
  readonly action: EntityUID;
  readonly resource: EntityUID;
  readonly context: CedarRecord;
}

/**
 * Build a request, checking the types at the edge so the evaluator can trust them.
 *
 * @example
 * const req = makeRequest(new EntityUID('User', 'alice'), new EntityUID('Action', 'read'),
 *   new EntityUID('Doc', 'd1'), new CedarRecord(new Map([['mfa', true]])));
 */
export function makeRequest(principal: EntityUID, action: EntityUID, resource: EntityUID, context: CedarRecord = CedarRecord.EMPTY): Request {
  if (!(principal instanceof EntityUID) || !(action instanceof EntityUID) || !(resource instanceof EntityUID)) {
    throw new PolicyError('PCL_POLICY_REQUEST_INVALID', 'principal, action and resource must be EntityUIDs');
  }
  if (!(context instanceof CedarRecord)) throw new PolicyError('PCL_POLICY_REQUEST_INVALID', 'the context must be a record');
  return { principal, action, resource, context };
}

/** A compiled expression: evaluates against a request and an entity store, or throws EvaluationError. */
export type Code = (request: Request, entities: EntityStore) => Value;

/**
 * The result of evaluating one policy on the hot path, without allocation: a number saying whether it
 * applied and if not which part stopped it, or the EvaluationError that made it not apply.
 * `SATISFIED` (0); `PRINCIPAL_MISMATCH` / `ACTION_MISMATCH` / `RESOURCE_MISMATCH` (scope); or
 * `CONDITION_FALSE + i` when condition i (0-based, in source order) did not hold.
 */
export type PolicyOutcome = number | EvaluationError;

/** PolicyOutcome values; compare with `===` (an error outcome is an EvaluationError instead). */
export const SATISFIED = 0;
export const PRINCIPAL_MISMATCH = 1;
export const ACTION_MISMATCH = 2;
export const RESOURCE_MISMATCH = 3;
export const CONDITION_FALSE = 4;

/** A normalized scope constraint, for indexing policies by principal/action/resource. */
export type ScopeConstraint =
  | { readonly op: 'any' }
  | { readonly op: 'eq'; readonly entity: EntityUID }
  /** `in` one entity, or (action only) `in [a, b, ...]`: matches the entities or their descendants. */
  | { readonly op: 'in'; readonly entities: readonly EntityUID[] }
  /** `is T`, optionally `is T in e`. */
  | { readonly op: 'is'; readonly entityType: string; readonly in?: EntityUID };

/** The three scope constraints of a policy, as an index would key them. */
export interface PolicyScope {
  readonly principal: ScopeConstraint;
  readonly action: ScopeConstraint;
  readonly resource: ScopeConstraint;
}
