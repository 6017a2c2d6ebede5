// The run-time meaning of Cedar's operators on evaluated values, with Cedar 4's type and overflow
// errors. The compiler wires these into closures; the common cases (both operands plain numbers,
// booleans) are inlined there and only fall back here.

import type { EntityStore } from '../entities.js';
import { EvaluationError } from '../errors.js';
import { DateTimeValue, DurationValue } from '../extensions/index.js';
import {
  addLong,
  CedarRecord,
  CedarSet,
  EntityUID,
  mulLong,
  negLong,
  subLong,
  typeName,
  type Long,
  type Value,
} from '../values/index.js';

/** A type error naming the expected type and the type (never the value) found. */
export function typeError(expected: string, got: Value): EvaluationError {
  return new EvaluationError('PCL_POLICY_EVAL_TYPE', `expected ${expected}, got ${typeName(got)}`);
}

function overflow(op: string): EvaluationError {
  return new EvaluationError('PCL_POLICY_EVAL_OVERFLOW', `integer overflow in \`${op}\``);
}

function asLong(v: Value): Long {
  if (typeof v !== 'number' && typeof v !== 'bigint') throw typeError('long', v);
  return v;
}

export function asEntity(v: Value): EntityUID {
  if (!(v instanceof EntityUID)) throw typeError('entity', v);
  return v;
}

export function asString(v: Value): string {
  if (typeof v !== 'string') throw typeError('string', v);
  return v;
}

export function asSet(v: Value): CedarSet {
  if (!(v instanceof CedarSet)) throw typeError('set', v);
  return v;
}

export function add(a: Value, b: Value): Long {
  const r = addLong(asLong(a), asLong(b));
  if (r === undefined) throw overflow('+');
  return r;
}

export function sub(a: Value, b: Value): Long {
  const r = subLong(asLong(a), asLong(b));
  if (r === undefined) throw overflow('-');
  return r;
}

export function mul(a: Value, b: Value): Long {
  const r = mulLong(asLong(a), asLong(b));
  if (r === undefined) throw overflow('*');
  return r;
}

export function neg(a: Value): Long {
  const r = negLong(asLong(a));
  if (r === undefined) throw overflow('-');
  return r;
}

/**
 * Cedar 4 ordering (`<`; the other comparisons are built from it): Long with Long, datetime with
 * datetime, duration with duration. Anything else is a type error.
 */
export function less(a: Value, b: Value, orEqual: boolean): boolean {
  let x: Long;
  let y: Long;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    x = a;
    y = b;
  } else if (a instanceof DateTimeValue || a instanceof DurationValue) {
    if (b instanceof DateTimeValue || b instanceof DurationValue) {
      if (a.typeName !== b.typeName) throw typeError(a.typeName, b);
      x = a.ms;
      y = b.ms;
    } else {
      throw typeError(a.typeName, b);
    }
  } else if (typeof a === 'number' || typeof a === 'bigint') {
    throw typeError('long', b);
  } else {
    throw typeError('long, datetime or duration', a);
  }
  // number and bigint compare exactly with each other in JS.
  return orEqual ? x <= y : x < y;
}

/** `uid in target`: target is an entity or a set of entities (every element must be an entity). */
export function inHierarchy(uid: EntityUID, target: Value, store: EntityStore): boolean {
  if (target instanceof EntityUID) {
    if (uid.id === target.id && uid.type === target.type) return true;
    return store.get(uid)?.ancestors.has(target.key) === true;
  }
  if (target instanceof CedarSet) {
    const items = target.items;
    // Cedar type-checks every element before answering, so a non-entity anywhere is an error.
    for (let i = 0; i < items.length; i++) if (!(items[i] instanceof EntityUID)) throw typeError('entity', items[i] as Value);
    let ancestors: { has(key: string): boolean } | undefined | null = null;
    for (let i = 0; i < items.length; i++) {
      const t = items[i] as EntityUID;
      if (uid.id === t.id && uid.type === t.type) return true;
      if (ancestors === null) ancestors = store.get(uid)?.ancestors;
      if (ancestors?.has(t.key) === true) return true;
    }
    return false;
  }
  throw typeError('entity or set of entities', target);
}

/** `v.attr` on a record or an entity. */
export function getAttr(v: Value, attr: string, store: EntityStore): Value {
  if (v instanceof CedarRecord) {
    const x = v.attrs.get(attr);
    if (x === undefined) throw new EvaluationError('PCL_POLICY_EVAL_NO_ATTRIBUTE', `record does not have the attribute \`${attr}\``);
    return x;
  }
  if (v instanceof EntityUID) {
    const e = store.get(v);
    if (e === undefined) throw new EvaluationError('PCL_POLICY_EVAL_NO_ENTITY', `entity ${v.toString()} does not exist`);
    const x = e.attrs.get(attr);
    if (x === undefined) throw new EvaluationError('PCL_POLICY_EVAL_NO_ATTRIBUTE', `entity ${v.toString()} does not have the attribute \`${attr}\``);
    return x;
  }
  throw typeError('record or entity', v);
}

/** `v has attr` on a record or an entity (a missing entity has no attributes). */
export function hasAttr(v: Value, attr: string, store: EntityStore): boolean {
  if (v instanceof CedarRecord) return v.attrs.has(attr);
  if (v instanceof EntityUID) return store.get(v)?.attrs.has(attr) === true;
  throw typeError('record or entity', v);
}

/** `uid.getTag(tag)`. */
export function getTag(v: Value, tag: Value, store: EntityStore): Value {
  const uid = asEntity(v);
  const name = asString(tag);
  const e = store.get(uid);
  if (e === undefined) throw new EvaluationError('PCL_POLICY_EVAL_NO_ENTITY', `entity ${uid.toString()} does not exist`);
  const x = e.tags.get(name);
  if (x === undefined) throw new EvaluationError('PCL_POLICY_EVAL_NO_TAG', `entity ${uid.toString()} does not have the tag \`${name}\``);
  return x;
}

/** `uid.hasTag(tag)` (a missing entity has no tags). */
export function hasTag(v: Value, tag: Value, store: EntityStore): boolean {
  const uid = asEntity(v);
  const name = asString(tag);
  return store.get(uid)?.tags.has(name) === true;
}

export function containsAll(a: Value, b: Value): boolean {
  const sa = asSet(a);
  const sb = asSet(b);
  for (const x of sb.items) if (!sa.has(x)) return false;
  return true;
}

export function containsAny(a: Value, b: Value): boolean {
  const sa = asSet(a);
  const sb = asSet(b);
  for (const x of sb.items) if (sa.has(x)) return true;
  return false;
}

/** One element of a `like` pattern as Cedar's JSON form gives it. */
export type PatternElem = 'Wildcard' | { Literal: string };

/**
 * Compile a `like` pattern to a matcher. `*` matches any sequence of characters; literal runs are
 * matched exactly, the first one anchored at the start and the last at the end, the ones in between
 * found left to right (greedy leftmost is exact for patterns that only have `*`).
 *
 * @example
 * compileLike([{ Literal: 'a' }, 'Wildcard'])('abc') === true
 */
export function compileLike(pattern: readonly PatternElem[]): (s: string) => boolean {
  const parts: string[] = [''];
  for (const p of pattern) {
    if (p === 'Wildcard') parts.push('');
    else parts[parts.length - 1] += p.Literal;
  }
  const hasWildcard = pattern.some((p) => p === 'Wildcard');
  if (!hasWildcard) {
    const exact = parts[0] as string;
    return (s) => s === exact;
  }
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const minLen = first.length + last.length;
  return (s) => {
    if (s.length < minLen || !s.startsWith(first) || !s.endsWith(last)) return false;
    let pos = first.length;
    const end = s.length - last.length;
    for (const m of middle) {
      const i = s.indexOf(m, pos);
      if (i < 0 || i + m.length > end) return false;
      pos = i + m.length;
    }
    return true;
  };
}
