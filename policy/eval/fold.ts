// Compiled nodes and compile-time evaluation of constant sub-expressions, shared by the compiler's
// files. A node is constant when its code reads neither the request nor the entities.

import { EMPTY_ENTITY_STORE } from '../entities.js';
import { EvaluationError } from '../errors.js';
import { CedarRecord, EntityUID, type Value } from '../values/index.js';
import type { Code, Request } from './types.js';

export interface Node {
  readonly code: Code;
  /** True when `code` ignores the request and the entities, so it can run at compile time. */
  readonly constant: boolean;
  /**
   * Set on a constant that evaluated to a value (not an error): its consumers capture the value
   * instead of calling a closure per request, one less (cold, at 10,000 policies) object to touch.
   */
  readonly literal?: { readonly value: Value };
  /** Set on `principal`, `action`, `resource` or `context`, so `context.x` can read the request directly. */
  readonly variable?: 'principal' | 'action' | 'resource' | 'context';
}

export const PLACEHOLDER = new EntityUID('__cedar', '');
export const CONST_REQUEST: Request = { principal: PLACEHOLDER, action: PLACEHOLDER, resource: PLACEHOLDER, context: CedarRecord.EMPTY };

export function constant(v: Value): Node {
  return { code: () => v, constant: true, literal: { value: v } };
}

/** Run a node whose inputs are all constant now, keeping a constant error for evaluation time. */
export function fold(code: Code, children: readonly Node[]): Node {
  for (const c of children) if (!c.constant) return { code, constant: false };
  try {
    return constant(code(CONST_REQUEST, EMPTY_ENTITY_STORE));
  } catch (err) {
    if (!(err instanceof EvaluationError)) throw err;
    return {
      code: () => {
        throw err;
      },
      constant: true,
    };
  }
}

