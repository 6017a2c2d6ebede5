// Audit events: ids and time, validation by field class, HMAC of sensitive fields, and the canonical
// record — same bytes for the same event, and a hostile disk gets a clear error, never a quiet fix.
import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuditError,
  createEvent,
  EVENT_LIMITS,
  lookupHmac,
  parseEvent,
  serializeEvent,
  type AuditEvent,
  type CreateEventOptions,
  type EventInput,
  type JsonObject,
} from '../audit/index.js';

const hmacKey = Buffer.alloc(32, 0x5a);
const options: CreateEventOptions = { hmacKey, sensitive: ['source', 'details.email', 'details.username'] };
const FIXED = Date.UTC(2026, 10, 22, 7, 0, 0, 123);

function input(overrides: Partial<EventInput> = {}): EventInput {
  return {
    actor: { type: 'user', id: 'u-42' },
    action: 'auth.login',
    resource: '/login',
    decision: 'deny',
    reasons: ['bad password'],
    requestId: 'req-1',
    source: '203.0.113.7',
    details: { email: 'alice@example.com', username: 'alice', attempts: 3 },
    ...overrides,
  };
}

function thrown(fn: () => unknown): AuditError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AuditError) return err;
    throw err;
  }
  throw new Error('expected an AuditError');
}

describe('ids and time', () => {
  it('gives 10,000 events in a tight loop unique, strictly increasing ids', () => {
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(createEvent(input(), options).id);
    expect(new Set(ids).size).toBe(10_000);
    for (let i = 1; i < ids.length; i++) expect((ids[i] as string) > (ids[i - 1] as string)).toBe(true);
  });

  it('keeps ids increasing within one millisecond and when the clock steps back', () => {
    const a = createEvent(input(), { ...options, now: () => FIXED + 10_000 }).id;
    const b = createEvent(input(), { ...options, now: () => FIXED + 10_000 }).id;
    const c = createEvent(input(), { ...options, now: () => FIXED }).id;
    expect(b > a).toBe(true);
    expect(c > b).toBe(true);
  });

  it('writes time as UTC ISO 8601 with milliseconds and Z', () => {
    const event = createEvent(input(), { ...options, now: () => FIXED });
    expect(event.time).toBe('2026-11-22T07:00:00.123Z');
    expect(createEvent(input(), options).time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(event.id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(event.v).toBe(1);
  });

  it('refuses a clock that returns nonsense', () => {
    expect(thrown(() => createEvent(input(), { ...options, now: () => Number.NaN })).code).toBe('PCL_AUDIT_EVENT_CONFIG_INVALID');
  });
});

describe('validation', () => {
  const cases: [string, Partial<EventInput> | Record<string, unknown>, string][] = [
    ['actor type', { actor: { type: 'robot', id: 'x' } }, 'actor.type'],
    ['actor id missing', { actor: { type: 'user', id: '' } }, 'actor.id'],
    ['actor extra field', { actor: { type: 'user', id: 'x', role: 'admin' } }, 'actor.role'],
    ['control character in id', { requestId: 'req\n1' }, 'requestId'],
    ['bidi override in actor id', { actor: { type: 'user', id: 'adm\u202enim' } }, 'actor.id'],
    ['over-long resource', { resource: 'r'.repeat(EVENT_LIMITS.resource + 1) }, 'resource'],
    ['non-string source', { source: 42 }, 'source'],
    ['bad action', { action: 'Login' }, 'action'],
    ['decision', { decision: 'maybe' }, 'decision'],
    ['reasons not array', { reasons: 'nope' }, 'reasons'],
    ['reason with newline', { reasons: ['ok', 'forged\nline'] }, 'reasons[1]'],
    ['details not object', { details: [1, 2] }, 'details'],
    ['details class instance', { details: { when: new Date(0) } }, 'details.when'],
    ['details non-finite', { details: { n: Number.POSITIVE_INFINITY } }, 'details.n'],
    ['details too deep', { details: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }, 'details.a.b.c.d.e.f.g.h'],
    ['details lone surrogate', { details: { s: '\ud800' } }, 'details.s'],
    ['tlsIdentity control char', { tlsIdentity: 'CN=x\u0000' }, 'tlsIdentity'],
  ];
  for (const [name, overrides, field] of cases) {
    it(`rejects ${name}, naming ${field}`, () => {
      const err = thrown(() => createEvent(input(overrides as Partial<EventInput>), options));
      expect(err.code).toBe('PCL_AUDIT_EVENT_INVALID');
      expect(err.status).toBe(400);
      expect(err.message).toContain(`"${field}"`);
    });
  }

  it('rejects details with too many values or too many bytes', () => {
    const many = Object.fromEntries(Array.from({ length: EVENT_LIMITS.detailsNodes + 1 }, (_, i) => [`k${i}`, i]));
    expect(thrown(() => createEvent(input({ details: many }), options).id).code).toBe('PCL_AUDIT_EVENT_INVALID');
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'x'.repeat(EVENT_LIMITS.detailsString)]));
    expect(thrown(() => createEvent(input({ details: big }), options)).message).toMatch(/byte limit/);
  });

  it('allows an empty id only for anonymous actors', () => {
    expect(createEvent(input({ actor: { type: 'anonymous', id: '' } }), options).actor.id).toBe('');
  });

  it('never quotes the plaintext of a sensitive field in an error', () => {
    const secret = 'alice@example.com\u0007';
    const err = thrown(() => createEvent(input({ source: secret }), options));
    expect(err.message).not.toContain('alice');
    const details = { email: 'alice@example.com', bad: new Map() } as unknown as JsonObject;
    const err2 = thrown(() => createEvent(input({ details }), options));
    expect(err2.message).toContain('"details.bad"');
    expect(err2.message).not.toContain('alice');
  });

  it('refuses a short key or an unknown sensitive path, without echoing the key', () => {
    const short = Buffer.from('short-secret-key');
    const err = thrown(() => createEvent(input(), { ...options, hmacKey: short }));
    expect(err.code).toBe('PCL_AUDIT_EVENT_CONFIG_INVALID');
    expect(err.message).not.toContain('short-secret');
    expect(thrown(() => createEvent(input(), { ...options, sensitive: ['action'] })).code).toBe('PCL_AUDIT_EVENT_CONFIG_INVALID');
    expect(thrown(() => createEvent(input(), { ...options, sensitive: ['details.'] })).code).toBe('PCL_AUDIT_EVENT_CONFIG_INVALID');
  });
});

describe('sensitive fields', () => {
  it('replaces them by hmac-sha256 hex that lookupHmac reproduces', () => {
    const event = createEvent(input(), options);
    expect(event.source).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(event.source).toBe(lookupHmac('203.0.113.7', hmacKey));
    expect(event.details.email).toBe(lookupHmac('alice@example.com', hmacKey));
    expect(event.details.username).toBe(lookupHmac('alice', hmacKey));
    expect(event.details.attempts).toBe(3);
    const record = serializeEvent(event).toString('utf8');
    for (const plain of ['203.0.113.7', 'alice']) expect(record).not.toContain(plain);
  });

  it('depends on the per-log key, and accepts a secret KeyObject', () => {
    const other = Buffer.alloc(32, 0x01);
    expect(lookupHmac('alice', other)).not.toBe(lookupHmac('alice', hmacKey));
    expect(lookupHmac('alice', createSecretKey(hmacKey))).toBe(lookupHmac('alice', hmacKey));
  });

  it('hashes nested paths and non-string values, and skips absent ones', () => {
    const event = createEvent(input({ details: { user: { name: 'bob', id: 7 }, card: { last4: '4242' } } }), {
      hmacKey,
      sensitive: ['details.user.name', 'details.card', 'details.missing.deep', 'actor.id', 'tlsIdentity'],
    });
    expect(event.details.user).toEqual({ name: lookupHmac('bob', hmacKey), id: 7 });
    expect(event.details.card).toBe(lookupHmac({ last4: '4242' }, hmacKey));
    expect(event.actor.id).toBe(lookupHmac('u-42', hmacKey));
    expect('missing' in event.details).toBe(false);
    expect('tlsIdentity' in event).toBe(false);
  });

  it("does not change the caller's objects, and the event cannot be changed afterwards", () => {
    const details = { email: 'alice@example.com' };
    const event = createEvent(input({ details }), options);
    expect(details.email).toBe('alice@example.com');
    expect(Object.isFrozen(event) && Object.isFrozen(event.details) && Object.isFrozen(event.actor)).toBe(true);
  });
});

describe('canonical record', () => {
  const fixed: CreateEventOptions = { ...options, now: () => FIXED };

  it('is stable: same event, same bytes; key order of the input does not matter', () => {
    const event = createEvent(input({ tlsIdentity: 'spiffe://example/ns/a', details: { b: 1, a: { z: [1, { y: 2, x: 1 }], c: null } } }), fixed);
    const bytes = serializeEvent(event);
    expect(serializeEvent(event).equals(bytes)).toBe(true);
    const reordered: AuditEvent = {
      details: { a: { c: null, z: [1, { x: 1, y: 2 }] }, b: 1 },
      tlsIdentity: event.tlsIdentity,
      source: event.source,
      requestId: event.requestId,
      reasons: [...event.reasons],
      decision: event.decision,
      resource: event.resource,
      action: event.action,
      actor: { id: event.actor.id, type: event.actor.type },
      time: event.time,
      id: event.id,
      v: 1,
    };
    expect(serializeEvent(reordered).equals(bytes)).toBe(true);
    const text = bytes.toString('utf8');
    expect(text.startsWith('{"action":"auth.login","actor":{"id":"u-42","type":"user"},"decision":"deny","details":{"a":{"c":null,"z":[1,{"x":1,"y":2}]},"b":1}')).toBe(true);
    expect(text).not.toMatch(/\s(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  });

  it('round-trips through parseEvent, including non-ASCII text', () => {
    const event = createEvent(input({ resource: '/données/😀', details: { note: 'line\nbreak', emoji: '😀' } }), fixed);
    const parsed = parseEvent(serializeEvent(event));
    expect(parsed).toEqual(event);
    expect(serializeEvent(parsed).equals(serializeEvent(event))).toBe(true);
  });

  it('validates hand-built events before serializing them', () => {
    const bad = { ...createEvent(input(), fixed), decision: 'maybe' } as unknown as AuditEvent;
    expect(thrown(() => serializeEvent(bad)).code).toBe('PCL_AUDIT_EVENT_INVALID');
  });

  describe('rejects malformed records from disk', () => {
    const good = serializeEvent(createEvent(input(), fixed)).toString('utf8');
    const swap = (from: string, to: string): string => {
      expect(good).toContain(from);
      return good.replace(from, to);
    };
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['empty', '', /not valid JSON/],
      ['truncated', good.slice(0, -5), /not valid JSON/],
      ['invalid UTF-8', Buffer.concat([Buffer.from(good.slice(0, 10)), Buffer.from([0xc3, 0x28]), Buffer.from(good.slice(10))]), /UTF-8/],
      ['not an object', '[1,2]', /"event"/],
      ['unknown version', swap('"v":1', '"v":2'), /"v"/],
      ['unknown field', swap('"v":1', '"v":1,"x":1'), /"x"/],
      ['bad id', swap(',"id":"', ',"id":"u'), /"id"/],
      ['impossible time', swap('2026-11-22', '2026-13-22'), /"time"/],
      ['control character', swap('"requestId":"req-1"', '"requestId":"req-\\u0000"'), /"requestId"/],
      ['whitespace', `${good} `, /canonical/],
      ['reordered keys', swap('"action":"auth.login","actor":{"id":"u-42","type":"user"}', '"actor":{"id":"u-42","type":"user"},"action":"auth.login"'), /canonical/],
      ['duplicate key', swap('"action":"auth.login"', '"action":"auth.logout","action":"auth.login"'), /canonical/],
      ['non-canonical number', swap('"attempts":3', '"attempts":3.0'), /canonical/],
      ['escaped letter', swap('"deny"', '"d\\u0065ny"'), /canonical/],
      ['oversized', `{"pad":"${'x'.repeat(EVENT_LIMITS.record)}"}`, /byte limit/],
    ];
    for (const [name, record, message] of cases) {
      it(name, () => {
        const bytes = typeof record === 'string' ? Buffer.from(record, 'utf8') : record;
        const err = thrown(() => parseEvent(bytes));
        expect(err.code).toBe('PCL_AUDIT_RECORD_MALFORMED');
        expect(err.message).toMatch(message);
      });
    }
  });
});
