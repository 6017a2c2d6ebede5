// Cedar 4 extension types at their edges: decimal range and syntax, IP address parsing and ranges,
// datetime/duration parsing, arithmetic overflow and truncation. Expected values follow Cedar 4.13
// (checked against the reference implementation).

import { describe, expect, it } from 'vitest';
import {
  authorize,
  callExtension,
  compilePolicy,
  DateTimeValue,
  DecimalValue,
  DurationValue,
  EMPTY_ENTITY_STORE,
  EntityUID,
  EvaluationError,
  IpAddrValue,
  makeRequest,
  parseDateTime,
  parseDecimal,
  parseDuration,
  parseIpAddr,
  parsePolicies,
  valueEquals,
} from '../policy/index.js';

const req = makeRequest(new EntityUID('U', 'a'), new EntityUID('Action', 'a'), new EntityUID('R', 'r'));

function when(cond: string): string {
  const policies = parsePolicies(`permit(principal, action, resource) when { ${cond} };`).map((p) => compilePolicy(p.id, p.est));
  const r = authorize(policies, req, EMPTY_ENTITY_STORE);
  return r.errors.length > 0 ? 'error' : r.decision;
}

describe('decimal', () => {
  it('parses digits on both sides with at most four after the point', () => {
    expect((parseDecimal('1.5') as DecimalValue).value).toBe(15000n);
    expect((parseDecimal('-0.0123') as DecimalValue).value).toBe(-123n);
    expect((parseDecimal('00001.1000') as DecimalValue).value).toBe(11000n);
    for (const bad of ['1', '1.', '.1', '+1.0', '1.00000', '1e3', '1.a', '-.5', ' 1.0', '１.0']) {
      expect(typeof parseDecimal(bad), bad).toBe('string');
    }
  });

  it('covers exactly the i64 range scaled by 10^4', () => {
    expect((parseDecimal('922337203685477.5807') as DecimalValue).value).toBe(2n ** 63n - 1n);
    expect((parseDecimal('-922337203685477.5808') as DecimalValue).value).toBe(-(2n ** 63n));
    expect(typeof parseDecimal('922337203685477.5808')).toBe('string');
    expect(typeof parseDecimal('-922337203685477.5809')).toBe('string');
  });

  it('signs the whole number, so -0.5 is negative', () => {
    expect(when('decimal("-0.5").lessThan(decimal("0.0"))')).toBe('allow');
    expect(when('decimal("-0.0") == decimal("0.0")')).toBe('allow');
  });

  it('orders only through its methods; < on decimals is a type error', () => {
    expect(when('decimal("1.1").lessThanOrEqual(decimal("1.1")) && decimal("2.0").greaterThan(decimal("1.9999"))')).toBe('allow');
    expect(when('decimal("1.0") < decimal("2.0")')).toBe('error');
    expect(when('decimal("1.0").lessThan(1)')).toBe('error');
    expect(when('decimal("1.0") == decimal("1.0000")')).toBe('allow');
  });
});

describe('ipaddr', () => {
  it('parses IPv4 strictly', () => {
    const ip = parseIpAddr('10.1.2.3/8') as IpAddrValue;
    expect([ip.v6, ip.addr, ip.prefix]).toEqual([false, 0x0a010203n, 8]);
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4/33', '1.2.3.4/08', '1.2.3.4/', '1.2.3.4/+3', ' 1.2.3.4', '1.2.3.4/1/2']) {
      expect(typeof parseIpAddr(bad), bad).toBe('string');
    }
  });

  it('parses IPv6 with one :: and rejects embedded IPv4, zones and long input', () => {
    expect((parseIpAddr('::1') as IpAddrValue).addr).toBe(1n);
    expect((parseIpAddr('1:2:3:4:5:6:7::') as IpAddrValue).addr).toBe(0x0001000200030004000500060007_0000n);
    expect((parseIpAddr('::') as IpAddrValue).addr).toBe(0n);
    expect((parseIpAddr('FFFF::/16') as IpAddrValue).prefix).toBe(16);
    for (const bad of ['::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::8', '1::2::3', '12345::', '1::00000', '::ffff:1.2.3.4', 'fe80::1%eth0', '::/129', '0000:0000:0000:0000:0000:0000:0000:0001/1280', ':1::']) {
      expect(typeof parseIpAddr(bad), bad).toBe('string');
    }
  });

  it('keeps host bits: equality is address and prefix', () => {
    expect(when('ip("1.1.1.1") == ip("1.1.1.1/32")')).toBe('allow');
    expect(when('ip("10.0.0.1/24") == ip("10.0.0.0/24")')).toBe('deny');
  });

  it('answers range, loopback and multicast questions like Cedar', () => {
    expect(when('ip("1.1.1.1").isInRange(ip("1.1.1.0/24"))')).toBe('allow');
    expect(when('ip("1.1.1.0/24").isInRange(ip("1.1.1.1"))')).toBe('deny');
    expect(when('ip("1.1.1.1/0").isInRange(ip("0.0.0.0/0"))')).toBe('allow');
    expect(when('ip("::1").isInRange(ip("0.0.0.0/0"))')).toBe('deny');
    expect(when('ip("127.255.255.255/8").isLoopback() && !ip("127.0.0.1/7").isLoopback()')).toBe('allow');
    expect(when('ip("::1").isLoopback() && !ip("::1/127").isLoopback() && !ip("::ffff:7f00:1").isLoopback()')).toBe('allow');
    expect(when('ip("239.255.255.255").isMulticast() && !ip("240.0.0.0").isMulticast()')).toBe('allow');
    expect(when('ip("ff02::1").isMulticast() && !ip("fe02::1").isMulticast()')).toBe('allow');
    expect(when('ip("1.2.3.4").isIpv4() && ip("::").isIpv6()')).toBe('allow');
  });

  it('errors on a bad address or a wrong argument count at evaluation time', () => {
    expect(when('ip("1.2.3").isIpv4()')).toBe('error');
    expect(when('ip("1.2.3.4", "x").isIpv4()')).toBe('error');
    expect(when('false && ip("1.2.3").isIpv4()')).toBe('deny');
  });
});

describe('datetime and duration', () => {
  it('parses the four datetime forms, with offsets', () => {
    expect((parseDateTime('1970-01-02') as DateTimeValue).ms).toBe(86_400_000);
    expect((parseDateTime('2024-10-15T11:38:02.101Z') as DateTimeValue).ms).toBe(Date.UTC(2024, 9, 15, 11, 38, 2, 101));
    expect((parseDateTime('2024-10-15T11:38:02+1134') as DateTimeValue).ms).toBe(Date.UTC(2024, 9, 15, 0, 4, 2));
    expect((parseDateTime('2024-10-15T11:38:02.101-1134') as DateTimeValue).ms).toBe(Date.UTC(2024, 9, 15, 23, 12, 2, 101));
    expect((parseDateTime('0000-01-01') as DateTimeValue).ms).toBe(-62_167_219_200_000);
  });

  it('rejects malformed and impossible datetimes', () => {
    for (const bad of [
      '', '2024-1-01', '10000-01-01', '2024-02-30', '2023-02-29', '2024-00-01', '2024-01-01T', '2024-01-01T00:00Z',
      '2024-01-01T00:00:00', '2024-01-01T24:00:00Z', '2024-01-01T00:60:00Z', '2016-12-31T23:59:60Z', '2024-01-01T00:00:00.1Z',
      '2024-01-01T00:00:00.1234Z', '2024-01-01T00:00:00+2400', '2024-01-01T00:00:00-0060', '2024-01-01t00:00:00Z', '2024-01-01T00:00:00z',
    ]) {
      expect(typeof parseDateTime(bad), bad).toBe('string');
    }
    expect(typeof parseDateTime('2024-02-29')).not.toBe('string');
    expect(typeof parseDateTime('0000-02-29')).not.toBe('string');
  });

  it('parses durations in d h m s ms order with one sign', () => {
    expect((parseDuration('-1d2h') as DurationValue).ms).toBe(-93_600_000);
    expect((parseDuration('1m1ms') as DurationValue).ms).toBe(60_001);
    expect((parseDuration('9223372036854775807ms') as DurationValue).ms).toBe(2n ** 63n - 1n);
    expect((parseDuration('-9223372036854775808ms') as DurationValue).ms).toBe(-(2n ** 63n));
    for (const bad of ['', '-', '1h1d', '1d1d', '1D', ' 1d', '1.5h', '9223372036854775808ms', '106751991168d']) {
      expect(typeof parseDuration(bad), bad).toBe('string');
    }
  });

  it('truncates unit conversions toward zero', () => {
    expect(when('duration("-1999ms").toSeconds() == -1 && duration("-1ms").toSeconds() == 0')).toBe('allow');
    expect(when('duration("-90m").toHours() == -1 && duration("47h").toDays() == 1')).toBe('allow');
    expect(when('duration("9223372036854775807ms").toDays() == 106751991167')).toBe('allow');
  });

  it('computes dates and times of day for instants before the epoch', () => {
    expect(when('datetime("1969-12-31T23:59:59.999Z").toDate() == datetime("1969-12-31")')).toBe('allow');
    expect(when('datetime("1969-12-31T23:59:59.999Z").toTime() == duration("86399999ms")')).toBe('allow');
    expect(when('datetime("2024-01-02").durationSince(datetime("2024-01-01")) == duration("1d")')).toBe('allow');
  });

  it('errors on i64 overflow instead of wrapping', () => {
    expect(when('datetime("1970-01-02").offset(duration("9223372036854775807ms")) > datetime("1970-01-01")')).toBe('error');
    expect(when('datetime("1970-01-01").offset(duration("-9223372036854775808ms")).toDate() < datetime("1970-01-01")')).toBe('error');
    expect(when('datetime("1970-01-01").offset(duration("-9223372036854775808ms")) < datetime("1970-01-01")')).toBe('allow');
  });

  it('orders datetimes with datetimes and durations with durations only', () => {
    expect(when('datetime("2024-01-01") < datetime("2024-01-02") && duration("1d") <= duration("24h")')).toBe('allow');
    expect(when('datetime("2024-01-01") >= datetime("2024-01-01T00:00:01Z")')).toBe('deny');
    expect(when('datetime("2024-01-01") < duration("1h")')).toBe('error');
    expect(when('1 < datetime("2023-01-02")')).toBe('error');
    expect(when('datetime("2024-01-01") == datetime("2024-01-01T00:00:00.000+0000")')).toBe('allow');
  });
});

describe('extension calls', () => {
  it('report type errors, unknown names and arity as evaluation errors', () => {
    expect(() => callExtension('ip', [1])).toThrow(EvaluationError);
    expect(() => callExtension('nope', [])).toThrow(EvaluationError);
    expect(() => callExtension('isIpv4', [])).toThrow(expect.objectContaining({ code: 'PCL_POLICY_EVAL_ARITY' }));
    expect(valueEquals(callExtension('decimal', ['1.0']), callExtension('decimal', ['1.0000']))).toBe(true);
  });
});
