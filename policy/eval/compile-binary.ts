// Compilation of Cedar's binary operators: comparisons, arithmetic, short-circuit logic, hierarchy
// membership, set operations and tags. Each returns a closure with the common case inlined (plain
// numbers, booleans) and the rest delegated to ops.ts.

import { CedarSet, EntityUID, type Value } from '../values/index.js';
import { EMPTY_ENTITY_STORE } from '../entities.js';
import { CONST_REQUEST, fold, type Node } from './fold.js';
import * as ops from './ops.js';
import type { Code } from './types.js';

/** `<`, `<=`, `>`, `>=` on Longs (fast path) and on datetimes/durations (ops.less). */
export function comparison(op: '<' | '<=' | '>' | '>=', [l, r]: [Node, Node]): Node {
  const a = l.code;
  const b = r.code;
  let code: Code;
  const lit = r.literal?.value;
  if (typeof lit === 'number' && !l.constant) {
    // `x < 3` and the like: the literal cannot error, so capturing it keeps the evaluation order,
    // and saves a closure call per request.
    const y = lit;
    switch (op) {
      case '<': code = (q, s) => { const x = a(q, s); return typeof x === 'number' ? x < y : ops.less(x, y, false); }; break;
      case '<=': code = (q, s) => { const x = a(q, s); return typeof x === 'number' ? x <= y : ops.less(x, y, true); }; break;
      case '>': code = (q, s) => { const x = a(q, s); return typeof x === 'number' ? x > y : ops.less(y, x, false); }; break;
      case '>=': code = (q, s) => { const x = a(q, s); return typeof x === 'number' ? x >= y : ops.less(y, x, true); }; break;
    }
    return fold(code, [l, r]);
  }
  // `>` and `>=` are `<` and `<=` with the operands swapped once both are evaluated.
  switch (op) {
    case '<':
      code = (q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        return typeof x === 'number' && typeof y === 'number' ? x < y : ops.less(x, y, false);
      };
      break;
    case '<=':
      code = (q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        return typeof x === 'number' && typeof y === 'number' ? x <= y : ops.less(x, y, true);
      };
      break;
    case '>':
      code = (q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        return typeof x === 'number' && typeof y === 'number' ? x > y : ops.less(y, x, false);
      };
      break;
    case '>=':
      code = (q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        return typeof x === 'number' && typeof y === 'number' ? x >= y : ops.less(y, x, true);
      };
      break;
  }
  return fold(code, [l, r]);
}

/** `+`, `-`, `*` with i64 overflow errors. */
export function arithmetic(op: '+' | '-' | '*', [l, r]: [Node, Node]): Node {
  const a = l.code;
  const b = r.code;
  let code: Code;
  // Safe-integer fast paths: the double result is exact exactly when it is a safe integer.
  switch (op) {
    case '+':
      code = (q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        if (typeof x === 'number' && typeof y === 'number') {
          const z = x + y;
          if (Number.isSafeInteger(z)) return z;
        }
        return ops.add(x, y);
      };
      break;
    case '-':
      code = (q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        if (typeof x === 'number' && typeof y === 'number') {
          const z = x - y;
          if (Number.isSafeInteger(z)) return z;
        }
        return ops.sub(x, y);
      };
      break;
    case '*':
      code = (q, s) => ops.mul(a(q, s), b(q, s));
      break;
  }
  return fold(code, [l, r]);
}

/** `&&` and `||`: both operands must be booleans, the right one only when it is reached. */
export function logical(op: '&&' | '||', [l, r]: [Node, Node]): Node {
  const a = l.code;
  const b = r.code;
  // Short-circuit: the right side is not evaluated (so cannot error) once the left decides.
  const code: Code =
    op === '&&'
      ? (q, s) => {
          const x = a(q, s);
          if (x === false) return false;
          if (x !== true) throw ops.typeError('bool', x);
          const y = b(q, s);
          if (typeof y !== 'boolean') throw ops.typeError('bool', y);
          return y;
        }
      : (q, s) => {
          const x = a(q, s);
          if (x === true) return true;
          if (x !== false) throw ops.typeError('bool', x);
          const y = b(q, s);
          if (typeof y !== 'boolean') throw ops.typeError('bool', y);
          return y;
        };
  return fold(code, [l, r]);
}

/** `in` over the entity hierarchy (an entity or a set of entities on the right). */
export function membership([l, r]: [Node, Node]): Node {
  const a = l.code;
  const b = r.code;
  if (r.constant) {
    // The common `x in Group::"g"` / `x in [A::"a", B::"b"]` with a literal right side: precheck the
    // literal once instead of on every request.
    let target: Value | undefined;
    try {
      target = b(CONST_REQUEST, EMPTY_ENTITY_STORE);
    } catch {
      target = undefined;
    }
    const targets = target instanceof EntityUID ? [target] : target instanceof CedarSet && target.items.every((t) => t instanceof EntityUID) ? (target.items as EntityUID[]) : undefined;
    if (targets !== undefined) {
      return {
        code: (q, s) => {
          const u = a(q, s);
          if (!(u instanceof EntityUID)) throw ops.typeError('entity', u);
          for (let i = 0; i < targets.length; i++) {
            const t = targets[i] as EntityUID;
            if (u.id === t.id && u.type === t.type) return true;
          }
          const anc = s.get(u)?.ancestors;
          if (anc === undefined) return false;
          for (let i = 0; i < targets.length; i++) if (anc.has((targets[i] as EntityUID).key)) return true;
          return false;
        },
        constant: false,
      };
    }
  }
  return {
    code: (q, s) => {
      const x = a(q, s);
      const y = b(q, s);
      return ops.inHierarchy(ops.asEntity(x), y, s);
    },
    constant: false,
  };
}

/** Set methods and entity tags. */
export function setOrTag(op: 'contains' | 'containsAll' | 'containsAny' | 'getTag' | 'hasTag', [l, r]: [Node, Node]): Node {
  const a = l.code;
  const b = r.code;
  switch (op) {
    case 'contains':
      return fold((q, s) => {
        const x = a(q, s);
        const y = b(q, s);
        return ops.asSet(x).has(y);
      }, [l, r]);
    case 'containsAll':
      return fold((q, s) => ops.containsAll(a(q, s), b(q, s)), [l, r]);
    case 'containsAny':
      return fold((q, s) => ops.containsAny(a(q, s), b(q, s)), [l, r]);
    case 'getTag':
      return { code: (q, s) => ops.getTag(a(q, s), b(q, s), s), constant: false };
    case 'hasTag':
      return { code: (q, s) => ops.hasTag(a(q, s), b(q, s), s), constant: false };
  }
}

