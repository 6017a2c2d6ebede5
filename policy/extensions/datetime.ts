// Cedar 4's `datetime` extension: datetime("YYYY-MM-DD[Thh:mm:ss[.SSS](Z|±hhmm)]") as milliseconds
// since the Unix epoch, duration("-1d2h3m4s5ms") as milliseconds, both i64 with overflow as an
// error. Datetimes and durations order with `<`, `<=`, `>`, `>=` (same type on both sides).

import {
  addLong,
  divTruncLong,
  ExtensionValue,
  I64_MAX,
  I64_MIN,
  normalizeLong,
  subLong,
  type Long,
} from '../values/index.js';

const DAY_MS = 86_400_000;

/** A point in time: `ms` since 1970-01-01T00:00:00Z (may be negative). */
export class DateTimeValue extends ExtensionValue {
  readonly typeName = 'datetime';
  readonly ms: Long;

  constructor(ms: Long) {
    super();
    this.ms = ms;
  }

  equals(other: ExtensionValue): boolean {
    return other instanceof DateTimeValue && other.ms === this.ms;
  }

  toString(): string {
    return `datetime("1970-01-01").offset(duration("${this.ms}ms"))`;
  }

  // Cedar's canonical JSON form for a datetime is an offset from the epoch.
  toJson(): { fn: string; args: [{ __extn: { fn: string; args: string[] } }, { __extn: { fn: string; args: string[] } }] } {
    return {
      fn: 'offset',
      args: [{ __extn: { fn: 'datetime', args: ['1970-01-01'] } }, { __extn: { fn: 'duration', args: [`${this.ms}ms`] } }],
    };
  }

  /** this + d, or undefined on i64 overflow. */
  offset(d: DurationValue): DateTimeValue | undefined {
    const r = addLong(this.ms, d.ms);
    return r === undefined ? undefined : new DateTimeValue(r);
  }

  /** this - other as a duration, or undefined on i64 overflow. */
  durationSince(other: DateTimeValue): DurationValue | undefined {
    const r = subLong(this.ms, other.ms);
    return r === undefined ? undefined : new DurationValue(r);
  }

  /** Midnight (UTC) of the same day, or undefined on i64 overflow. */
  toDate(): DateTimeValue | undefined {
    const r = subLong(this.ms, remEuclid(this.ms, DAY_MS));
    return r === undefined ? undefined : new DateTimeValue(r);
  }

  /** Time since midnight (UTC) as a duration. */
  toTime(): DurationValue {
    return new DurationValue(remEuclid(this.ms, DAY_MS));
  }
}

/** A span of time in milliseconds (may be negative). */
export class DurationValue extends ExtensionValue {
  readonly typeName = 'duration';
  readonly ms: Long;

  constructor(ms: Long) {
    super();
    this.ms = ms;
  }

  equals(other: ExtensionValue): boolean {
    return other instanceof DurationValue && other.ms === this.ms;
  }

  toString(): string {
    return `duration("${this.ms}ms")`;
  }

  toJson(): { fn: string; args: string[] } {
    return { fn: 'duration', args: [`${this.ms}ms`] };
  }

  /** Whole units, truncated toward zero like Cedar (Rust integer division). */
  toMilliseconds(): Long {
    return this.ms;
  }
  toSeconds(): Long {
    return divTruncLong(this.ms, 1000);
  }
  toMinutes(): Long {
    return divTruncLong(this.toSeconds(), 60);
  }
  toHours(): Long {
    return divTruncLong(this.toMinutes(), 60);
  }
  toDays(): Long {
    return divTruncLong(this.toHours(), 24);
  }
}

/** a mod m in [0, m), for m a small positive integer. */
function remEuclid(a: Long, m: number): number {
  const r = typeof a === 'number' ? a % m : Number(a % BigInt(m));
  return r < 0 ? r + m : r === 0 ? 0 : r;
}

const DURATION_RE = /^-?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const DURATION_UNITS = [86_400_000n, 3_600_000n, 60_000n, 1000n, 1n];

/**
 * Parse Cedar's duration() argument; returns an error message instead of throwing.
 *
 * @example
 * (parseDuration('-1h30m') as DurationValue).ms === -5_400_000
 */
export function parseDuration(s: string): DurationValue | string {
  if (s === '' || s === '-') return 'invalid duration pattern';
  const m = DURATION_RE.exec(s);
  if (m === null) return 'invalid duration pattern';
  let total = 0n;
  for (let i = 0; i < 5; i++) {
    const digits = m[i + 1];
    if (digits !== undefined) total += BigInt(digits) * (DURATION_UNITS[i] as bigint);
  }
  if (s.startsWith('-')) total = -total;
  // All parts share one sign, so the partial sums only grow in magnitude: checking the total is the
  // same as checking every step the way Cedar does.
  const ms = total < I64_MIN || total > I64_MAX ? undefined : normalizeLong(total);
  if (ms === undefined) return 'duration overflows a 64-bit count of milliseconds';
  return new DurationValue(ms);
}

const DATE_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})/;
const HMS_RE = /^T([0-9]{2}):([0-9]{2}):([0-9]{2})/;
const MS_OFFSET_RE = /^(?:\.([0-9]{3}))?(?:Z|([+-])([0-9]{2})([0-9]{2}))$/;

/**
 * Parse Cedar's datetime() argument; returns an error message instead of throwing. Accepted forms:
 * `YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ssZ`, `YYYY-MM-DDThh:mm:ss.SSSZ`, and the last two with `±hhmm`
 * instead of `Z`. No leap seconds; offsets below 24 hours.
 *
 * @example
 * (parseDateTime('1970-01-02') as DateTimeValue).ms === 86_400_000
 */
export function parseDateTime(s: string): DateTimeValue | string {
  const d = DATE_RE.exec(s);
  if (d === null) return 'invalid date pattern (expected YYYY-MM-DD)';
  const year = Number(d[1]);
  const month = Number(d[2]);
  const day = Number(d[3]);
  const dateOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  const days = daysFromCivil(year, month, day);
  if (s.length === 10) {
    if (!dateOk) return 'invalid date';
    return new DateTimeValue(days * DAY_MS);
  }
  const rest = s.slice(10);
  const t = HMS_RE.exec(rest);
  if (t === null) return 'invalid hour/minute/second pattern';
  const m = MS_OFFSET_RE.exec(rest.slice(9));
  if (m === null) return 'invalid millisecond and/or offset pattern';
  if (!dateOk) return 'invalid date';
  const hh = Number(t[1]);
  const mi = Number(t[2]);
  const ss = Number(t[3]);
  if (hh > 23 || mi > 59 || ss > 59) return 'invalid hour/minute/second';
  const millis = m[1] === undefined ? 0 : Number(m[1]);
  let offsetMs = 0;
  if (m[2] !== undefined) {
    const oh = Number(m[3]);
    const om = Number(m[4]);
    if (oh >= 24 || om >= 60) return 'invalid offset range';
    offsetMs = (m[2] === '+' ? 1 : -1) * (oh * 3_600_000 + om * 60_000);
  }
  // Years 0000-9999 keep every term far inside the safe-integer range.
  const ms = days * DAY_MS + hh * 3_600_000 + mi * 60_000 + ss * 1000 + millis - offsetMs;
  return new DateTimeValue(ms === 0 ? 0 : ms);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (year 0 exists and is a leap year). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
