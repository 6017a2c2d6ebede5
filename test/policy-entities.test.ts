// Cedar entity JSON → EntityStore: lossless integers, escapes, transitive ancestors, and every bad
// input (cycles, duplicates, bad type names, null, fractions, out-of-range numbers, deep nesting,
// non-UTF-8 bytes, unknown keys) as a clear PolicyError naming where the problem is.

import { describe, expect, it } from 'vitest';
import {
  CedarRecord,
  CedarSet,
  DecimalValue,
  DateTimeValue,
  EntityUID,
  IpAddrValue,
  layerEntityStores,
  MAX_JSON_DEPTH,
  MemoryEntityStore,
  PolicyError,
  recordFromJson,
  parseJson,
  valueFromJson,
  valueToJson,
  stringifyJson,
  type EntityStore,
} from '../policy/index.js';

const uid = (type: string, id: string) => new EntityUID(type, id);

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('expected a PolicyError');
}

function load(json: unknown): MemoryEntityStore {
  return MemoryEntityStore.fromJson(typeof json === 'string' ? json : JSON.stringify(json));
}

describe('loading entity JSON', () => {
  it('reads uids, attributes, parents and tags, with both uid forms', () => {
    const store = load([
      { uid: { type: 'User', id: 'alice' }, attrs: { age: 30, tags: ['a', 'b'], addr: { city: 'Oslo' } }, parents: [{ __entity: { type: 'Group', id: 'g' } }], tags: { t: true } },
      { uid: { __entity: { type: 'Group', id: 'g' } } },
    ]);
    const alice = store.get(uid('User', 'alice'));
    expect(alice?.attrs.get('age')).toBe(30);
    expect(alice?.attrs.get('tags')).toBeInstanceOf(CedarSet);
    expect((alice?.attrs.get('addr') as CedarRecord).attrs.get('city')).toBe('Oslo');
    expect(alice?.tags.get('t')).toBe(true);
    expect(alice?.ancestors.has(uid('Group', 'g').key)).toBe(true);
    expect(store.get(uid('Group', 'g'))?.attrs.size).toBe(0);
    expect(store.size).toBe(2);
  });

  it('keeps integers beyond 2^53 exact and rejects anything that is not an i64', () => {
    const store = load('[{"uid": {"type": "A", "id": "a"}, "attrs": {"n": 9007199254740993, "min": -9223372036854775808}, "parents": []}]');
    expect(store.get(uid('A', 'a'))?.attrs.get('n')).toBe(9007199254740993n);
    expect(store.get(uid('A', 'a'))?.attrs.get('min')).toBe(-(2n ** 63n));
    for (const bad of ['1.5', '1e3', '9223372036854775808', '-9223372036854775809', '1.0']) {
      const err = errorOf(() => load(`[{"uid": {"type": "A", "id": "a"}, "attrs": {"n": ${bad}}}]`));
      expect(err.code, bad).toBe('PCL_POLICY_JSON_NUMBER');
      expect(err.details[0]?.path).toBe('[0].attrs.n');
    }
  });

  it('evaluates __extn escapes (one arg or several) and __entity escapes', () => {
    const store = load([
      {
        uid: { type: 'A', id: 'a' },
        attrs: {
          ip: { __extn: { fn: 'ip', arg: '10.0.0.0/8' } },
          d: { __extn: { fn: 'decimal', arg: '1.25' } },
          t: { __extn: { fn: 'offset', args: [{ __extn: { fn: 'datetime', arg: '1970-01-01' } }, { __extn: { fn: 'duration', arg: '1d' } }] } },
          owner: { __entity: { type: 'User', id: 'bob' } },
          plain: { type: 'User', id: 'bob' },
        },
      },
    ]);
    const attrs = store.get(uid('A', 'a'))?.attrs;
    expect(attrs?.get('ip')).toBeInstanceOf(IpAddrValue);
    expect((attrs?.get('d') as DecimalValue).value).toBe(12500n);
    expect((attrs?.get('t') as DateTimeValue).ms).toBe(86_400_000);
    expect(attrs?.get('owner')).toEqual(uid('User', 'bob'));
    // Without a schema, {"type", "id"} in an attribute is a record, as in Cedar.
    expect(attrs?.get('plain')).toBeInstanceOf(CedarRecord);
  });

  it('accepts parents that are not in the store (they are just leaves)', () => {
    const store = load([{ uid: { type: 'User', id: 'a' }, parents: [{ type: 'UnknownType', id: 'x' }] }]);
    expect(store.get(uid('User', 'a'))?.ancestors.has(uid('UnknownType', 'x').key)).toBe(true);
    expect(store.get(uid('UnknownType', 'x'))).toBeUndefined();
  });

  it('computes ancestors transitively, across diamonds and long chains', () => {
    const chain = Array.from({ length: 3000 }, (_, i) => ({ uid: { type: 'N', id: String(i) }, parents: i === 0 ? [] : [{ type: 'N', id: String(i - 1) }] }));
    const store = load(chain);
    expect(store.get(uid('N', '2999'))?.ancestors.has(uid('N', '0').key)).toBe(true);
    const diamond = load([
      { uid: { type: 'N', id: 'a' }, parents: [{ type: 'N', id: 'b' }, { type: 'N', id: 'c' }] },
      { uid: { type: 'N', id: 'b' }, parents: [{ type: 'N', id: 'd' }] },
      { uid: { type: 'N', id: 'c' }, parents: [{ type: 'N', id: 'd' }] },
      { uid: { type: 'N', id: 'd' } },
    ]);
    const anc = diamond.get(uid('N', 'a'))?.ancestors as ReadonlySet<string>;
    expect([...anc].length).toBe(3);
  });
});

describe('bad entity JSON', () => {
  it('reports a cycle with its path instead of hanging', () => {
    const err = errorOf(() =>
      load([
        { uid: { type: 'G', id: 'a' }, parents: [{ type: 'G', id: 'b' }] },
        { uid: { type: 'G', id: 'b' }, parents: [{ type: 'G', id: 'c' }] },
        { uid: { type: 'G', id: 'c' }, parents: [{ type: 'G', id: 'a' }] },
      ]),
    );
    expect(err.code).toBe('PCL_POLICY_ENTITY_CYCLE');
    expect(err.message).toContain('G::"a" -> G::"b" -> G::"c" -> G::"a"');
    expect(errorOf(() => load([{ uid: { type: 'G', id: 'a' }, parents: [{ type: 'G', id: 'a' }] }])).code).toBe('PCL_POLICY_ENTITY_CYCLE');
  });

  it('rejects duplicates, bad type names, unknown keys and malformed uids', () => {
    expect(errorOf(() => load([{ uid: { type: 'A', id: 'a' } }, { uid: { type: 'A', id: 'a' } }])).code).toBe('PCL_POLICY_ENTITY_DUPLICATE');
    expect(errorOf(() => load([{ uid: { type: 'not a type', id: 'a' } }])).code).toBe('PCL_POLICY_ENTITY_TYPE');
    expect(errorOf(() => load([{ uid: { type: 'A::', id: 'a' } }])).code).toBe('PCL_POLICY_ENTITY_TYPE');
    expect(errorOf(() => load([{ uid: { type: 'A', id: 'a' }, atrs: {} }])).code).toBe('PCL_POLICY_ENTITY_INVALID');
    expect(errorOf(() => load([{ uid: { type: 'A', id: 1 } }])).code).toBe('PCL_POLICY_VALUE_INVALID');
    expect(errorOf(() => load([{ attrs: {} }])).code).toBe('PCL_POLICY_ENTITY_INVALID');
    expect(errorOf(() => load({ uid: { type: 'A', id: 'a' } })).code).toBe('PCL_POLICY_ENTITY_INVALID');
    expect(errorOf(() => load([{ uid: { type: 'A', id: 'a' }, parents: {} }])).code).toBe('PCL_POLICY_ENTITY_INVALID');
  });

  it('rejects values Cedar does not have, naming the path', () => {
    const cases: [unknown, string, string][] = [
      [{ x: null }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs.x'],
      [{ x: { __extn: { fn: 'ip', arg: 'not-an-ip' } } }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs.x.__extn'],
      [{ x: { __extn: { fn: 'nope', arg: '1' } } }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs.x.__extn'],
      [{ x: { __extn: { fn: 'ip' } } }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs.x.__extn'],
      [{ x: { __entity: { type: 'A', id: 'a' }, extra: 1 } }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs.x'],
      [{ x: { __expr: 'true' } }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs.x'],
      [{ 'a b': [1, null] }, 'PCL_POLICY_VALUE_INVALID', '[0].attrs["a b"][1]'],
    ];
    for (const [attrs, code, path] of cases) {
      const err = errorOf(() => load([{ uid: { type: 'A', id: 'a' }, attrs }]));
      expect([err.code, err.details[0]?.path]).toEqual([code, path]);
    }
  });

  it('rejects malformed JSON, duplicate keys, deep nesting and non-UTF-8 bytes', () => {
    expect(errorOf(() => load('[{"uid": ')).code).toBe('PCL_POLICY_JSON_SYNTAX');
    expect(errorOf(() => load('[{"uid": {"type": "A", "id": "a"}, "attrs": {"x": 1, "x": 2}}]')).code).toBe('PCL_POLICY_JSON_SYNTAX');
    const deep = `[{"uid": {"type": "A", "id": "a"}, "attrs": {"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}]`;
    expect(errorOf(() => load(deep)).code).toBe('PCL_POLICY_JSON_TOO_DEEP');
    const bytes = new Uint8Array([...Buffer.from('[{"uid": {"type": "A", "id": "'), 0xc3, 0x28, ...Buffer.from('"}}]')]);
    expect(errorOf(() => MemoryEntityStore.fromJson(bytes)).code).toBe('PCL_POLICY_NOT_UTF8');
    expect(MemoryEntityStore.fromJson(Buffer.from('[{"uid": {"type": "A", "id": "é"}}]')).get(uid('A', 'é'))).toBeDefined();
  });

  it('bounds the nesting of in-memory values too', () => {
    let v: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 10; i++) v = [v];
    expect(errorOf(() => valueFromJson(v, 'x')).code).toBe('PCL_POLICY_JSON_TOO_DEEP');
  });
});

describe('contexts and values', () => {
  it('parses a context record losslessly and refuses non-records', () => {
    const ctx = recordFromJson(parseJson('{"n": 18446744073709551615}'.replace('18446744073709551615', '9223372036854775807')), 'context');
    expect(ctx.attrs.get('n')).toBe(2n ** 63n - 1n);
    expect(errorOf(() => recordFromJson([1], 'context')).code).toBe('PCL_POLICY_VALUE_INVALID');
    expect(errorOf(() => recordFromJson({ __entity: { type: 'A', id: 'a' } }, 'context')).code).toBe('PCL_POLICY_VALUE_INVALID');
    expect(errorOf(() => valueFromJson(2 ** 60, 'x')).code).toBe('PCL_POLICY_JSON_NUMBER');
  });

  it('round-trips values through lossless JSON', () => {
    const json = '{"a":[1,9223372036854775807],"b":{"__entity":{"type":"A","id":"x"}},"c":{"__extn":{"fn":"ip","args":["10.0.0.0/8"]}}}';
    const v = valueFromJson(parseJson(json), 'v');
    expect(stringifyJson(valueToJson(v))).toBe(json);
  });
});

describe('store composition', () => {
  const base = MemoryEntityStore.fromEntities([
    { uid: uid('Role', 'admin'), parents: [uid('Role', 'staff')] },
    { uid: uid('Role', 'staff') },
  ]);

  it('extends a store, computing closures through the base', () => {
    const ext = base.extend([{ uid: uid('User', 'alice'), parents: [uid('Role', 'admin')], attrs: new Map([['mfa', true]]) }]);
    expect(ext.get(uid('User', 'alice'))?.ancestors.has(uid('Role', 'staff').key)).toBe(true);
    expect(base.get(uid('User', 'alice'))).toBeUndefined();
    expect(() => base.extend([{ uid: uid('Role', 'admin') }])).toThrow(expect.objectContaining({ code: 'PCL_POLICY_ENTITY_DUPLICATE' }));
  });

  it("rebuilds when a new entity was already someone's parent", () => {
    const ext = base.extend([{ uid: uid('Role', 'staff-x') }]).extend([]);
    expect(ext.size).toBe(3);
    const s = MemoryEntityStore.fromEntities([{ uid: uid('User', 'u'), parents: [uid('Team', 't')] }]);
    const grown = s.extend([{ uid: uid('Team', 't'), parents: [uid('Org', 'o')] }]);
    expect(grown.get(uid('User', 'u'))?.ancestors.has(uid('Org', 'o').key)).toBe(true);
  });

  it('layers a request store over a shared one', () => {
    const top: EntityStore = { get: (u) => (u.type === 'User' ? { uid: u, attrs: new Map(), tags: new Map(), ancestors: new Set([uid('Role', 'admin').key]) } : undefined) };
    const layered = layerEntityStores(top, base);
    expect(layered.get(uid('User', 'x'))?.ancestors.has(uid('Role', 'admin').key)).toBe(true);
    expect(layered.get(uid('Role', 'admin'))).toBeDefined();
  });
});
