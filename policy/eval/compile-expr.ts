// Compile one Cedar expression (the JSON form, "EST") into a closure, once, at load time. Closures
// call closures; nothing is interpreted per request. Sub-expressions that do not depend on the
// request or the entities (literals, `ip("10.0.0.0/8")`, `[Role::"a", Role::"b"]`, `1 + 2`) are
// evaluated here, once; if such a constant errors (`9223372036854775807 + 1`), the error is kept and
// raised only if evaluation reaches it, as Cedar would. Nesting is bounded so hostile policy JSON
// cannot overflow the stack, here or at evaluation time.

import { valueFromJson } from '../entities/value-json.js';
import { EvaluationError, PolicyError } from '../errors.js';
import { EXTENSION_FUNCTIONS } from '../extensions/index.js';
import { CedarRecord, CedarSet, intern, valueEquals, type EntityUID, type Value } from '../values/index.js';
import { arithmetic, comparison, logical, membership, setOrTag } from './compile-binary.js';
import { constant, fold, type Node } from './fold.js';
import * as ops from './ops.js';
import type { Code } from './types.js';

/** Deepest expression nesting the compiler accepts. */
export const MAX_EXPR_DEPTH = 1024;

/** What an expression is compiled against. */
export interface ExprContext {
  /** Slot values of a template link (`?principal`, `?resource`). */
  readonly slots: ReadonlyMap<string, EntityUID>;
  /** Where we are, for error messages, e.g. `policy0.conditions[1]`. */
  readonly path: string;
}

function bad(ctx: ExprContext, path: string, message: string): PolicyError {
  const where = `${ctx.path}${path}`;
  return new PolicyError('PCL_POLICY_INVALID_JSON_POLICY', `${where}: ${message}`, { details: [{ message, path: where }] });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Compile an expression in Cedar's JSON form.
 *
 * @example
 * const code = compileExpr({ '==': { left: { Value: 1 }, right: { Value: 1 } } }, { slots: new Map(), path: 'x' });
 * code(request, store) === true
 */
export function compileExpr(expr: unknown, ctx: ExprContext): Code {
  return compile(expr, ctx, '', 0).code;
}

function compile(expr: unknown, ctx: ExprContext, path: string, depth: number): Node {
  if (depth > MAX_EXPR_DEPTH) {
    throw new PolicyError('PCL_POLICY_TOO_COMPLEX', `${ctx.path}: expression nested deeper than ${MAX_EXPR_DEPTH} levels`);
  }
  if (!isPlainObject(expr)) throw bad(ctx, path, 'expected an expression object');
  const keys = Object.keys(expr);
  if (keys.length !== 1) throw bad(ctx, path, `an expression has exactly one key, got ${keys.length}`);
  const op = keys[0] as string;
  const body: unknown = expr[op];
  const at = `${path}.${op}`;
  const sub = (e: unknown, p: string): Node => compile(e, ctx, `${at}${p}`, depth + 1);
  const binary = (): [Node, Node] => {
    if (!isPlainObject(body) || !('left' in body) || !('right' in body)) throw bad(ctx, at, 'expected {"left", "right"}');
    return [sub(body.left, '.left'), sub(body.right, '.right')];
  };
  const unary = (): Node => {
    if (!isPlainObject(body) || !('arg' in body)) throw bad(ctx, at, 'expected {"arg"}');
    return sub(body.arg, '.arg');
  };

  switch (op) {
    case 'Value':
      return constant(valueFromJson(body, `${ctx.path}${at}`));
    case 'Var':
      return variable(body, ctx, at);
    case 'Slot': {
      if (typeof body !== 'string') throw bad(ctx, at, 'expected a slot name');
      const uid = ctx.slots.get(body);
      if (uid === undefined) throw new PolicyError('PCL_POLICY_UNLINKED_SLOT', `${ctx.path}: slot ${body} has no value`);
      return constant(uid);
    }
    case '!': {
      const n = unary();
      const a = n.code;
      return fold((r, s) => {
        const v = a(r, s);
        if (typeof v !== 'boolean') throw ops.typeError('bool', v);
        return !v;
      }, [n]);
    }
    case 'neg': {
      const n = unary();
      const a = n.code;
      return fold((r, s) => {
        const v = a(r, s);
        // Negating a safe integer is always safe; 0 stays 0 rather than -0.
        if (typeof v === 'number') return v === 0 ? 0 : -v;
        return ops.neg(v);
      }, [n]);
    }
    case '==':
    case '!=': {
      const [l, r] = binary();
      const lc = l.code;
      const rc = r.code;
      let code: Code;
      if (r.literal !== undefined && !l.constant) {
        // `x == <literal>`: the literal cannot error, so capturing it keeps the evaluation order.
        const v = r.literal.value;
        code = op === '==' ? (q, s) => valueEquals(lc(q, s), v) : (q, s) => !valueEquals(lc(q, s), v);
      } else {
        code = op === '==' ? (q, s) => valueEquals(lc(q, s), rc(q, s)) : (q, s) => !valueEquals(lc(q, s), rc(q, s));
      }
      return fold(code, [l, r]);
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return comparison(op, binary());
    case '+':
    case '-':
    case '*':
      return arithmetic(op, binary());
    case '&&':
    case '||':
      return logical(op, binary());
    case 'in':
      return membership(binary());
    case 'contains':
    case 'containsAll':
    case 'containsAny':
    case 'getTag':
    case 'hasTag':
      return setOrTag(op, binary());
    case 'isEmpty': {
      const n = unary();
      const a = n.code;
      return fold((r, s) => ops.asSet(a(r, s)).size === 0, [n]);
    }
    case '.': {
      if (!isPlainObject(body) || typeof body.attr !== 'string') throw bad(ctx, at, 'expected {"left", "attr"}');
      const left = sub(body.left, '.left');
      const a = left.code;
      // Interned, like the attribute maps' keys, so the per-request Map lookup compares pointers.
      const attr = intern(body.attr);
      // `context.x` / `principal.x` read the request directly instead of through the variable's closure.
      switch (left.variable) {
        case 'context': return { code: (r, s) => ops.getAttr(r.context, attr, s), constant: false };
        case 'principal': return { code: (r, s) => ops.getAttr(r.principal, attr, s), constant: false };
        case 'resource': return { code: (r, s) => ops.getAttr(r.resource, attr, s), constant: false };
        default: return { code: (r, s) => ops.getAttr(a(r, s), attr, s), constant: false };
      }
    }
    case 'has':
      return hasAttrs(body, sub, ctx, at);
    case 'like': {
      if (!isPlainObject(body) || !Array.isArray(body.pattern)) throw bad(ctx, at, 'expected {"left", "pattern"}');
      const pattern = body.pattern.map((p: unknown): ops.PatternElem => {
        if (p === 'Wildcard') return p;
        if (isPlainObject(p) && typeof p.Literal === 'string') return { Literal: p.Literal };
        throw bad(ctx, at, 'a pattern element is "Wildcard" or {"Literal": "..."}');
      });
      const n = sub(body.left, '.left');
      const a = n.code;
      const match = ops.compileLike(pattern);
      return fold((r, s) => {
        const v = a(r, s);
        if (typeof v !== 'string') throw ops.typeError('string', v);
        return match(v);
      }, [n]);
    }
    case 'is':
      return isType(body, sub, ctx, at);
    case 'if-then-else': {
      if (!isPlainObject(body) || !('if' in body) || !('then' in body) || !('else' in body)) throw bad(ctx, at, 'expected {"if", "then", "else"}');
      const c = sub(body.if, '.if');
      const t = sub(body.then, '.then');
      const e = sub(body.else, '.else');
      const [cc, tc, ec] = [c.code, t.code, e.code];
      return fold((r, s) => {
        const v = cc(r, s);
        if (typeof v !== 'boolean') throw ops.typeError('bool', v);
        return v ? tc(r, s) : ec(r, s);
      }, [c, t, e]);
    }
    case 'Set': {
      if (!Array.isArray(body)) throw bad(ctx, at, 'expected an array');
      const items = body.map((x: unknown, i) => sub(x, `[${i}]`));
      const codes = items.map((n) => n.code);
      return fold((r, s) => CedarSet.of(codes.map((c) => c(r, s))), items);
    }
    case 'Record': {
      if (!isPlainObject(body)) throw bad(ctx, at, 'expected an object');
      const entries = Object.keys(body).map((k): [string, Node] => [k, sub(body[k], `[${JSON.stringify(k)}]`)]);
      return fold((r, s) => {
        const m = new Map<string, Value>();
        for (const [k, n] of entries) m.set(k, n.code(r, s));
        return new CedarRecord(m);
      }, entries.map(([, n]) => n));
    }
    default:
      return extensionCall(op, body, sub, ctx, at);
  }
}

function variable(body: unknown, ctx: ExprContext, at: string): Node {
  switch (body) {
    case 'principal':
      return { code: (r) => r.principal, constant: false, variable: 'principal' };
    case 'action':
      return { code: (r) => r.action, constant: false, variable: 'action' };
    case 'resource':
      return { code: (r) => r.resource, constant: false, variable: 'resource' };
    case 'context':
      return { code: (r) => r.context, constant: false, variable: 'context' };
    default:
      throw bad(ctx, at, 'expected principal, action, resource or context');
  }
}

type Sub = (e: unknown, p: string) => Node;

function hasAttrs(body: unknown, sub: Sub, ctx: ExprContext, at: string): Node {
  if (!isPlainObject(body)) throw bad(ctx, at, 'expected {"left", "attr"}');
  const attrs = typeof body.attr === 'string' ? [body.attr] : body.attr;
  if (!Array.isArray(attrs) || attrs.length === 0 || !attrs.every((x): x is string => typeof x === 'string')) {
    throw bad(ctx, at, '"attr" is a name or a non-empty array of names');
  }
  const a = sub(body.left, '.left').code;
  if (attrs.length === 1) {
    const attr = intern(attrs[0] as string);
    return { code: (q, s) => ops.hasAttr(a(q, s), attr, s), constant: false };
  }
  // `e has a.b.c` is `e has a && e.a has b && e.a.b has c`.
  const path = attrs.map(intern);
  return {
    code: (q, s) => {
      let v = a(q, s);
      for (let i = 0; i < path.length; i++) {
        const attr = path[i] as string;
        if (!ops.hasAttr(v, attr, s)) return false;
        if (i < path.length - 1) v = ops.getAttr(v, attr, s);
      }
      return true;
    },
    constant: false,
  };
}

function isType(body: unknown, sub: Sub, ctx: ExprContext, at: string): Node {
  if (!isPlainObject(body) || typeof body.entity_type !== 'string') throw bad(ctx, at, 'expected {"left", "entity_type"}');
  const type = body.entity_type;
  const l = sub(body.left, '.left');
  const a = l.code;
  if (body.in === undefined) {
    return fold((q, s) => ops.asEntity(a(q, s)).type === type, [l]);
  }
  const b = sub(body.in, '.in').code;
  // `e is T in x` is `e is T && e in x`: x is only evaluated when the type matches.
  return {
    code: (q, s) => {
      const u = ops.asEntity(a(q, s));
      if (u.type !== type) return false;
      return ops.inHierarchy(u, b(q, s), s);
    },
    constant: false,
  };
}

function extensionCall(name: string, body: unknown, sub: Sub, ctx: ExprContext, at: string): Node {
  const fn = EXTENSION_FUNCTIONS.get(name);
  if (fn === undefined) {
    throw new PolicyError('PCL_POLICY_UNKNOWN_FUNCTION', `${ctx.path}${at}: \`${name}\``, { details: [{ message: `unknown function or operator \`${name}\``, path: `${ctx.path}${at}` }] });
  }
  if (!Array.isArray(body)) throw bad(ctx, at, 'expected an array of arguments');
  const args = body.map((x: unknown, i) => sub(x, `[${i}]`));
  const codes = args.map((n) => n.code);
  if (codes.length !== fn.arity) {
    // Cedar reports a wrong argument count when the call is evaluated, after its arguments.
    const err = new EvaluationError('PCL_POLICY_EVAL_ARITY', `\`${name}\` takes ${fn.arity} argument(s), got ${codes.length}`);
    return fold((q, s) => {
      for (const c of codes) c(q, s);
      throw err;
    }, args);
  }
  const [c0, c1] = codes as [Code, Code];
  const { unary, binary } = fn;
  if (unary !== undefined) return fold((q, s) => unary(c0(q, s)), args);
  if (binary !== undefined) return fold((q, s) => binary(c0(q, s), c1(q, s)), args);
  return fold((q, s) => fn.call(codes.map((c) => c(q, s))), args);
}
