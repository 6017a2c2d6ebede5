// Cedar's Long is a signed 64-bit integer whose arithmetic errors on overflow. It is held as a JS
// number while it is a safe integer and as a bigint only beyond ±(2^53 - 1); every operation
// normalizes its result back to that form, so two equal Longs are always `===` and the common case
// never allocates a bigint.

/** A Cedar Long: a safe-integer number, or a bigint outside ±(2^53 - 1) but inside the i64 range. */
export type Long = number | bigint;

/** The bounds of a Cedar Long (signed 64-bit). */
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;

/** `undefined` means the exact result does not fit in a signed 64-bit integer. */
function fromBig(b: bigint): Long | undefined {
  if (b < I64_MIN || b > I64_MAX) return undefined;
  // Number() is exact here because the value is a safe integer.
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/**
 * The normal form of an i64 given as a bigint (number when safe), or undefined when out of range.
 *
 * @example
 * normalizeLong(5n) === 5; normalizeLong(2n ** 63n) === undefined
 */
export function normalizeLong(b: bigint): Long | undefined {
  return fromBig(b);
}

/** True for a value in the normal Long form (safe-integer number or out-of-safe-range i64 bigint). */
export function isLong(v: unknown): v is Long {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  return typeof v === 'bigint' && v >= I64_MIN && v <= I64_MAX && (v < -9007199254740991n || v > 9007199254740991n);
}

/**
 * Parse a decimal integer literal (optional leading '-', digits only) into a Long.
 * Returns undefined when the text is not an integer or does not fit in i64.
 *
 * @example
 * parseLong('-9223372036854775808') === -(2n ** 63n)
 */
export function parseLong(text: string): Long | undefined {
  if (!/^-?[0-9]+$/.test(text)) return undefined;
  // Up to 15 digits is always a safe integer, so the common case skips bigint entirely.
  if (text.length <= 15) {
    const n = Number(text);
    return n === 0 ? 0 : n;
  }
  return fromBig(BigInt(text));
}

// For safe-integer operands the double result of + - * is exact exactly when it is itself a safe
// integer (rounding is monotonic, so an inexact result lands at or beyond 2^53), hence the fast
// paths below are correct without any bigint work.

/** a + b, or undefined on i64 overflow. */
export function addLong(a: Long, b: Long): Long | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return fromBig(BigInt(a) + BigInt(b));
}

/** a - b, or undefined on i64 overflow. */
export function subLong(a: Long, b: Long): Long | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  return fromBig(BigInt(a) - BigInt(b));
}

/** a * b, or undefined on i64 overflow. */
export function mulLong(a: Long, b: Long): Long | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    // `r === 0` folds -0 (from 0 * -n) into 0 so that it never leaks into printing or Object.is.
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  return fromBig(BigInt(a) * BigInt(b));
}

/** -a, or undefined on i64 overflow (only -(-2^63)). */
export function negLong(a: Long): Long | undefined {
  if (typeof a === 'number') return a === 0 ? 0 : -a;
  return fromBig(-a);
}

/** a / b truncated toward zero (Rust's `/`); b must not be 0. */
export function divTruncLong(a: Long, b: number): Long {
  if (typeof a === 'number') {
    // a - a % b is an exact multiple of b (fmod is exact on integers), so the division is exact too;
    // Math.trunc(a / b) could round up to the next integer near 2^53.
    const q = (a - (a % b)) / b;
    return q === 0 ? 0 : q;
  }
  // Division only shrinks magnitude, so the result is always in range.
  return fromBig(a / BigInt(b)) as Long;
}

/** Compare two Longs: negative, zero or positive. Mixed number/bigint compare exactly in JS. */
export function compareLong(a: Long, b: Long): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Decimal text of a Long, e.g. for messages. */
export function longToString(a: Long): string {
  return String(a);
}
