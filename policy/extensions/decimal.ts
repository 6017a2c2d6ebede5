// Cedar's `decimal` extension: fixed point with exactly 4 fractional digits stored as an i64 count of
// 1/10000ths, so the range is that of i64 / 10^4. Only the lessThan/lessThanOrEqual/greaterThan/
// greaterThanOrEqual methods order decimals; `<` on decimals is a type error in Cedar 4.

import { ExtensionValue, I64_MAX, I64_MIN } from '../values/index.js';

/** A decimal: `value` is the number times 10^4, within the i64 range. */
export class DecimalValue extends ExtensionValue {
  readonly typeName = 'decimal';
  readonly value: bigint;

  constructor(value: bigint) {
    super();
    this.value = value;
  }

  equals(other: ExtensionValue): boolean {
    return other instanceof DecimalValue && other.value === this.value;
  }

  private text(): string {
    const neg = this.value < 0n;
    const abs = neg ? -this.value : this.value;
    return `${neg ? '-' : ''}${abs / 10000n}.${(abs % 10000n).toString().padStart(4, '0')}`;
  }

  toString(): string {
    return `decimal(${JSON.stringify(this.text())})`;
  }

  toJson(): { fn: string; args: string[] } {
    return { fn: 'decimal', args: [this.text()] };
  }
}

const DECIMAL_RE = /^-?([0-9]+)\.([0-9]+)$/;

/**
 * Parse Cedar's decimal() argument ("-12.34": digits on both sides, at most 4 after the point);
 * returns an error message instead of throwing.
 *
 * @example
 * (parseDecimal('1.5') as DecimalValue).value === 15000n
 */
export function parseDecimal(s: string): DecimalValue | string {
  const m = DECIMAL_RE.exec(s);
  if (m === null) return 'not a well-formed decimal value';
  const [, left, right] = m as unknown as [string, string, string];
  if (right.length > 4) return 'too many digits after the decimal point (at most 4)';
  // The sign applies to the whole number ("-0.5" is negative), as in Cedar 4.
  const magnitude = BigInt(left) * 10000n + BigInt(right.padEnd(4, '0'));
  const value = s.startsWith('-') ? -magnitude : magnitude;
  if (value < I64_MIN || value > I64_MAX) return 'overflow when converting to decimal';
  return new DecimalValue(value);
}
