// The part of a policy the index looks at: its principal, action and resource scope, reduced to
// entity keys and type names. Conditions are invisible here; the index only ever narrows the set of
// policies worth evaluating, and the compiled policy still checks every scope it is handed.

import type { PolicyScope, ScopeConstraint } from '../eval/types.js';

/** An entity's identity as one string: `EntityUID.key`, the key the entity store's ancestor sets use. */
export type EntityKey = string;

/** Principal or resource scope. `isIn` is `is T in E`; it is indexed by `E`, the narrower part. */
export type EntityScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'eq'; readonly key: EntityKey }
  | { readonly kind: 'in'; readonly key: EntityKey }
  | { readonly kind: 'is'; readonly type: string }
  | { readonly kind: 'isIn'; readonly type: string; readonly key: EntityKey };

/** Action scope: `action`, `action == A`, `action in A` and `action in [A, B]` (one list for both). */
export type ActionScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'eq'; readonly key: EntityKey }
  | { readonly kind: 'in'; readonly keys: readonly EntityKey[] };

export interface PolicyScopes {
  readonly principal: EntityScope;
  readonly action: ActionScope;
  readonly resource: EntityScope;
}

function entityScope(c: ScopeConstraint): EntityScope {
  switch (c.op) {
    case 'any': return { kind: 'all' };
    case 'eq': return { kind: 'eq', key: c.entity.key };
    case 'in': {
      // The compiler only produces a list for the action; a list here would mean a compiler change
      // this index has not been taught, and guessing could drop policies.
      const [e, ...rest] = c.entities;
      if (e === undefined || rest.length > 0) throw new TypeError(`principal/resource \`in\` with ${c.entities.length} entities`);
      return { kind: 'in', key: e.key };
    }
    case 'is':
      return c.in === undefined ? { kind: 'is', type: c.entityType } : { kind: 'isIn', type: c.entityType, key: c.in.key };
  }
}

function actionScope(c: ScopeConstraint): ActionScope {
  switch (c.op) {
    case 'any': return { kind: 'all' };
    case 'eq': return { kind: 'eq', key: c.entity.key };
    case 'in': return { kind: 'in', keys: c.entities.map((e) => e.key) };
    // Cedar has no `action is T`; the compiler rejects it, so reaching this is a compiler change.
    case 'is': throw new TypeError('`is` on the action scope');
  }
}

/**
 * The index's view of a compiled policy's scope.
 *
 * @example
 *   // permit(principal in Role::"admin", action == Action::"GET", resource)
 *   indexScopes(compiled.scope)
 *   // -> { principal: { kind: 'in', key: 'Role\0admin' }, action: { kind: 'eq', key: 'Action\0GET' }, resource: { kind: 'all' } }
 */
export function indexScopes(scope: PolicyScope): PolicyScopes {
  return { principal: entityScope(scope.principal), action: actionScope(scope.action), resource: entityScope(scope.resource) };
}
