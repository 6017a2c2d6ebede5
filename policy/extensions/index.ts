// The table of Cedar 4 extension functions (constructors and methods), shared by the compiler and by
// the JSON value loader (`__extn` escapes). Each function checks its argument types itself and throws
// an EvaluationError, so a bad call makes only its policy (or its entity) fail.

import { EvaluationError } from '../errors.js';
import { typeName, type Long, type Value } from '../values/index.js';
import { DateTimeValue, DurationValue, parseDateTime, parseDuration } from './datetime.js';
import { DecimalValue, parseDecimal } from './decimal.js';
import { IpAddrValue, parseIpAddr } from './ipaddr.js';

export { DateTimeValue, DurationValue, parseDateTime, parseDuration } from './datetime.js';
export { DecimalValue, parseDecimal } from './decimal.js';
export { IpAddrValue, parseIpAddr } from './ipaddr.js';

/**
 * One extension function: a fixed arity and an implementation over already-evaluated arguments.
 * `unary` / `binary` are the same implementation without the argument array, for the hot path.
 */
export interface ExtensionFunction {
  readonly name: string;
  readonly arity: number;
  call(args: readonly Value[]): Value;
  readonly unary?: (a: Value) => Value;
  readonly binary?: (a: Value, b: Value) => Value;
}

function typeError(expected: string, got: Value): EvaluationError {
  return new EvaluationError('PCL_POLICY_EVAL_TYPE', `expected ${expected}, got ${typeName(got)}`);
}

function extensionError(fn: string, message: string): EvaluationError {
  return new EvaluationError('PCL_POLICY_EVAL_EXTENSION', `${fn}(): ${message}`);
}

function str(v: Value): string {
  if (typeof v !== 'string') throw typeError('string', v);
  return v;
}

function ip(v: Value): IpAddrValue {
  if (!(v instanceof IpAddrValue)) throw typeError('ipaddr', v);
  return v;
}

function dec(v: Value): DecimalValue {
  if (!(v instanceof DecimalValue)) throw typeError('decimal', v);
  return v;
}

function dt(v: Value): DateTimeValue {
  if (!(v instanceof DateTimeValue)) throw typeError('datetime', v);
  return v;
}

function dur(v: Value): DurationValue {
  if (!(v instanceof DurationValue)) throw typeError('duration', v);
  return v;
}

function orOverflow<T extends Value>(fn: string, v: T | undefined): T {
  if (v === undefined) throw extensionError(fn, 'result overflows a 64-bit count of milliseconds');
  return v;
}

// Written as a list so that name, arity and behaviour sit on one line per function.
const FUNCTIONS: ExtensionFunction[] = [
  fn1('ip', (a) => {
    const r = parseIpAddr(str(a));
    if (typeof r === 'string') throw extensionError('ip', r);
    return r;
  }),
  fn1('isIpv4', (a) => !ip(a).v6),
  fn1('isIpv6', (a) => ip(a).v6),
  fn1('isLoopback', (a) => ip(a).isLoopback()),
  fn1('isMulticast', (a) => ip(a).isMulticast()),
  fn2('isInRange', (a, b) => ip(a).isInRange(ip(b))),

  fn1('decimal', (a) => {
    const r = parseDecimal(str(a));
    if (typeof r === 'string') throw extensionError('decimal', r);
    return r;
  }),
  fn2('lessThan', (a, b) => dec(a).value < dec(b).value),
  fn2('lessThanOrEqual', (a, b) => dec(a).value <= dec(b).value),
  fn2('greaterThan', (a, b) => dec(a).value > dec(b).value),
  fn2('greaterThanOrEqual', (a, b) => dec(a).value >= dec(b).value),

  fn1('datetime', (a) => {
    const r = parseDateTime(str(a));
    if (typeof r === 'string') throw extensionError('datetime', r);
    return r;
  }),
  fn1('duration', (a) => {
    const r = parseDuration(str(a));
    if (typeof r === 'string') throw extensionError('duration', r);
    return r;
  }),
  fn2('offset', (a, b) => orOverflow('offset', dt(a).offset(dur(b)))),
  fn2('durationSince', (a, b) => orOverflow('durationSince', dt(a).durationSince(dt(b)))),
  fn1('toDate', (a) => orOverflow('toDate', dt(a).toDate())),
  fn1('toTime', (a) => dt(a).toTime()),
  fn1('toMilliseconds', (a): Long => dur(a).toMilliseconds()),
  fn1('toSeconds', (a): Long => dur(a).toSeconds()),
  fn1('toMinutes', (a): Long => dur(a).toMinutes()),
  fn1('toHours', (a): Long => dur(a).toHours()),
  fn1('toDays', (a): Long => dur(a).toDays()),
];

function fn1(name: string, f: (a: Value) => Value): ExtensionFunction {
  return { name, arity: 1, call: (args) => f(args[0] as Value), unary: f };
}

function fn2(name: string, f: (a: Value, b: Value) => Value): ExtensionFunction {
  return { name, arity: 2, call: (args) => f(args[0] as Value, args[1] as Value), binary: f };
}

/** Every Cedar 4 extension function by name. */
export const EXTENSION_FUNCTIONS: ReadonlyMap<string, ExtensionFunction> = new Map(FUNCTIONS.map((f) => [f.name, f]));

/**
 * Call an extension function by name with evaluated arguments; an unknown name or a wrong number of
 * arguments is an evaluation error, as in Cedar.
 *
 * @example
 * callExtension('ip', ['10.0.0.1']) instanceof IpAddrValue
 */
export function callExtension(name: string, args: readonly Value[]): Value {
  const f = EXTENSION_FUNCTIONS.get(name);
  if (f === undefined) throw new EvaluationError('PCL_POLICY_EVAL_EXTENSION', `unknown extension function \`${name}\``);
  if (args.length !== f.arity) {
    throw new EvaluationError('PCL_POLICY_EVAL_ARITY', `\`${name}\` takes ${f.arity} argument(s), got ${args.length}`);
  }
  return f.call(args);
}
