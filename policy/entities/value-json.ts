// Cedar's JSON value format → Values, for entity attributes and tags, request contexts and literals
// in policy JSON. Accepts what `parseJson` produces (LosslessNumber for numbers) as well as plain JS
// data built in memory (safe-integer numbers, bigint). Every rejection names the path of the bad
// value so an operator can find it in a large document.

import { EvaluationError, PolicyError } from '../errors.js';
import { callExtension } from '../extensions/index.js';
import { isLosslessNumber, MAX_JSON_DEPTH } from '../json.js';
import { CedarRecord, CedarSet, EntityUID, isLong, parseLong, type Value } from '../values/index.js';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}

function keysOf(o: JsonObject): string[] {
  return Object.keys(o);
}

/** Append a key to a path like `[2].attrs` → `[2].attrs.owner` (quoted when not an identifier). */
export function pathKey(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function invalid(path: string, message: string): PolicyError {
  return new PolicyError('PCL_POLICY_VALUE_INVALID', `${path || 'value'}: ${message}`, { details: [{ message, path }] });
}

/**
 * A Long from a JSON number in any of its in-memory forms; PCL_POLICY_JSON_NUMBER for fractions,
 * exponents, and integers outside i64 (or a double that already lost precision).
 */
export function longFromJson(v: unknown, path: string): Value {
  if (isLosslessNumber(v)) {
    const n = parseLong(v.value);
    if (n !== undefined) return n;
  } else if ((typeof v === 'number' || typeof v === 'bigint') && isLong(v)) {
    return v;
  } else if (typeof v === 'bigint') {
    const n = parseLong(v.toString());
    if (n !== undefined) return n;
  }
  // The number itself stays out of the message: attribute values may be sensitive.
  const message = typeof v === 'number' && Number.isInteger(v) ? 'is an integer a JS number cannot hold exactly; parse the JSON losslessly' : 'is not a 64-bit signed integer';
  throw new PolicyError('PCL_POLICY_JSON_NUMBER', `${path || 'value'} ${message}`, { details: [{ message, path }] });
}

/**
 * An entity uid from `{"type": ..., "id": ...}` or `{"__entity": {"type": ..., "id": ...}}` (the
 * forms Cedar accepts for `uid`, `parents` and request principal/action/resource).
 *
 * @example
 * uidFromJson({ type: 'User', id: 'alice' }, 'principal').toString() === 'User::"alice"'
 */
export function uidFromJson(v: unknown, path: string): EntityUID {
  let o = v;
  if (isObject(o) && '__entity' in o) {
    if (keysOf(o).length !== 1) throw invalid(path, '`__entity` must be the only key of its object');
    o = o.__entity;
  }
  if (!isObject(o)) throw invalid(path, 'expected an entity uid {"type": ..., "id": ...}');
  const keys = keysOf(o);
  if (typeof o.type !== 'string' || typeof o.id !== 'string' || keys.length !== 2) {
    throw invalid(path, 'an entity uid needs exactly a string "type" and a string "id"');
  }
  try {
    return new EntityUID(o.type, o.id);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(err.code, `${path}: ${err.message}`, { details: [{ message: err.message, path }] });
    throw err;
  }
}

/**
 * Convert one Cedar JSON value: booleans, integers, strings, arrays (sets), objects (records), and
 * the `__entity` / `__extn` escapes. `__extn` calls are evaluated here (e.g. `ip("10.0.0.0/8")`),
 * so a bad extension argument is a load error, not a per-request one.
 *
 * @example
 * valueFromJson({ __extn: { fn: 'decimal', arg: '1.5' } }, 'attrs.limit') instanceof DecimalValue
 */
export function valueFromJson(v: unknown, path: string, depth = 0): Value {
  if (depth > MAX_JSON_DEPTH) throw new PolicyError('PCL_POLICY_JSON_TOO_DEEP', `${path} nests deeper than ${MAX_JSON_DEPTH} levels`);
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return longFromJson(v, path);
    case 'object':
      break;
    default:
      throw invalid(path, `${typeof v} is not a Cedar value`);
  }
  if (v === null) throw invalid(path, 'null is not a Cedar value');
  if (isLosslessNumber(v)) return longFromJson(v, path);
  if (Array.isArray(v)) {
    const items: Value[] = [];
    for (let i = 0; i < v.length; i++) items.push(valueFromJson(v[i], `${path}[${i}]`, depth + 1));
    return CedarSet.of(items);
  }
  const o = v as JsonObject;
  const keys = keysOf(o);
  if (keys.includes('__entity')) return uidFromJson(o, path);
  if (keys.includes('__extn')) {
    if (keys.length !== 1) throw invalid(path, '`__extn` must be the only key of its object');
    return extnFromJson(o.__extn, pathKey(path, '__extn'), depth + 1);
  }
  if (keys.includes('__expr')) throw invalid(path, 'the `__expr` escape is not supported in Cedar 4; use `__entity` or `__extn`');
  const attrs = new Map<string, Value>();
  for (const k of keys) attrs.set(k, valueFromJson(o[k], pathKey(path, k), depth + 1));
  return new CedarRecord(attrs);
}

function extnFromJson(e: unknown, path: string, depth: number): Value {
  if (!isObject(e) || typeof e.fn !== 'string') throw invalid(path, 'expected {"fn": "<function>", "arg": <value>} or {"fn", "args": [...]}');
  const keys = keysOf(e);
  let rawArgs: unknown[];
  if (keys.length === 2 && 'arg' in e) rawArgs = [e.arg];
  else if (keys.length === 2 && 'args' in e && Array.isArray(e.args)) rawArgs = e.args;
  else throw invalid(path, 'an `__extn` needs "fn" and exactly one of "arg" or "args" (an array)');
  const args = rawArgs.map((a, i) => valueFromJson(a, `${path}.args[${i}]`, depth + 1));
  try {
    return callExtension(e.fn, args);
  } catch (err) {
    if (err instanceof EvaluationError) throw invalid(path, `${e.fn}: ${err.message}`);
    throw err;
  }
}

/**
 * A record (e.g. a request context) from a JSON object; anything else is an error.
 *
 * @example
 * recordFromJson({ mfa: true }, 'context').attrs.get('mfa') === true
 */
export function recordFromJson(v: unknown, path: string): CedarRecord {
  if (!isObject(v) || '__entity' in v || '__extn' in v) throw invalid(path, 'expected a JSON object (a record)');
  return valueFromJson(v, path) as CedarRecord;
}
