// Cedar values as the evaluator sees them. Primitives are plain JS values (boolean, string, Long as
// number | bigint) so the hot path allocates nothing for them; entity uids, sets, records and
// extension values are small immutable classes told apart with `instanceof`.

import { PolicyError } from '../errors.js';
import type { Long } from './long.js';

export * from './long.js';

// Cedar names: identifiers joined by `::` (ASCII only, as in Cedar's grammar).
const ENTITY_TYPE_RE = /^[_a-zA-Z][_a-zA-Z0-9]*(?:::[_a-zA-Z][_a-zA-Z0-9]*)*$/;

/**
 * True when `name` is a syntactically valid Cedar entity type name such as `User` or `App::Doc`.
 *
 * @example
 * isValidEntityType('App::Document') === true; isValidEntityType('bad type') === false
 */
export function isValidEntityType(name: string): boolean {
  return ENTITY_TYPE_RE.test(name);
}

/**
 * The engine's canonical copy of an equal string: V8's internalized (string-table) one, reached by
 * using the string as a property name and reading it back. Every uid key then is one string object
 * per distinct value, flat, so the Map and Set lookups of a decision (entity store, ancestor sets,
 * index buckets) compare keys by pointer instead of reading both strings, which at 10,000 entities
 * are cache misses; likewise attribute names (JSON-loaded attribute maps already hold internalized
 * names, from Object.keys). The string table is weak, so interning does not keep strings alive. A
 * uid key contains NUL, so it is never an array index (property names that are indices come back
 * as fresh strings: still equal, just not shared).
 *
 * @example
 * intern(`a${'b'}`) === 'ab'
 */
export function intern(s: string): string {
  const o: Record<string, true> = {};
  o[s] = true;
  for (const k in o) return k;
  return s;
}

/**
 * An entity uid `Type::"id"`. `key` is a unique string form used for set and map lookups (the NUL
 * separator cannot occur in a type name, so distinct uids never share a key).
 *
 * @example
 * const alice = new EntityUID('User', 'alice');
 * alice.toString() === 'User::"alice"'
 */
export class EntityUID {
  readonly type: string;
  readonly id: string;
  readonly key: string;

  constructor(type: string, id: string) {
    if (!ENTITY_TYPE_RE.test(type)) {
      throw new PolicyError('PCL_POLICY_ENTITY_TYPE', `"${truncate(type)}" is not a valid entity type`);
    }
    this.type = type;
    this.id = id;
    this.key = intern(`${type}\u0000${id}`);
  }

  equals(other: EntityUID): boolean {
    return this.id === other.id && this.type === other.type;
  }

  toString(): string {
    return `${this.type}::${JSON.stringify(this.id)}`;
  }
}

/**
 * An extension value (ipaddr, decimal, datetime, duration). Subclasses live in `../extensions/`.
 * Two extension values are equal when they have the same `typeName` and `equals` says so.
 */
export abstract class ExtensionValue {
  abstract readonly typeName: string;
  /** Only called with a value of the same `typeName`. */
  abstract equals(other: ExtensionValue): boolean;
  /** Cedar syntax that constructs this value, e.g. `ip("10.0.0.0/8")`. */
  abstract toString(): string;
  /** The `{fn, args}` of Cedar's `__extn` JSON escape that reconstructs this value. */
  abstract toJson(): { fn: string; args: ExtensionJsonArg[] };
}

/** An argument of an `__extn` escape: a string, or a nested escape (datetime offsets). */
export type ExtensionJsonArg = string | { __extn: { fn: string; args: ExtensionJsonArg[] } };

/** A Cedar value. */
export type Value = boolean | string | Long | EntityUID | CedarSet | CedarRecord | ExtensionValue;

/** Sets at most this large are searched linearly; bigger ones get a hash index on first lookup. */
const LINEAR_SET_MAX = 8;

interface SetIndex {
  prims: Set<boolean | string | number | bigint>;
  uids: Set<string>;
  others: Value[];
}

/**
 * A Cedar set: distinct values, order not significant.
 *
 * @example
 * const s = CedarSet.of([1, 2, 2]);
 * s.size === 2 && s.has(2)
 */
export class CedarSet {
  readonly items: readonly Value[];
  private index: SetIndex | undefined;

  private constructor(items: readonly Value[]) {
    this.items = items;
  }

  /** Build a set from values, dropping duplicates (structural equality). */
  static of(values: readonly Value[]): CedarSet {
    if (values.length <= 1) return new CedarSet(values.slice());
    if (values.length <= LINEAR_SET_MAX) {
      const out: Value[] = [];
      for (const v of values) if (!out.some((o) => valueEquals(o, v))) out.push(v);
      return new CedarSet(out);
    }
    const probe = new CedarSet([]);
    const out: Value[] = [];
    for (const v of values) {
      if (!probe.has(v)) {
        out.push(v);
        probe.add(v);
      }
    }
    const set = new CedarSet(out);
    set.index = probe.index;
    return set;
  }

  static readonly EMPTY = new CedarSet([]);

  get size(): number {
    return this.items.length;
  }

  /** Membership by structural equality. */
  has(v: Value): boolean {
    const items = this.items;
    if (this.index === undefined) {
      if (items.length <= LINEAR_SET_MAX) {
        for (let i = 0; i < items.length; i++) if (valueEquals(items[i] as Value, v)) return true;
        return false;
      }
      this.index = { prims: new Set(), uids: new Set(), others: [] };
      for (const it of items) this.add(it);
    }
    const idx = this.index;
    if (typeof v !== 'object') return idx.prims.has(v);
    if (v instanceof EntityUID) return idx.uids.has(v.key);
    for (const o of idx.others) if (valueEquals(o, v)) return true;
    return false;
  }

  private add(v: Value): void {
    if (this.index === undefined) this.index = { prims: new Set(), uids: new Set(), others: [] };
    if (typeof v !== 'object') this.index.prims.add(v);
    else if (v instanceof EntityUID) this.index.uids.add(v.key);
    else this.index.others.push(v);
  }
}

/**
 * A Cedar record: string keys to values.
 *
 * @example
 * const r = new CedarRecord(new Map([['age', 42]]));
 * r.attrs.get('age') === 42
 */
export class CedarRecord {
  readonly attrs: ReadonlyMap<string, Value>;

  constructor(attrs: ReadonlyMap<string, Value>) {
    this.attrs = attrs;
  }

  static readonly EMPTY = new CedarRecord(new Map());
}

/**
 * Cedar's `==`: structural equality across all types; values of different types are just unequal.
 *
 * @example
 * valueEquals(CedarSet.of([1, 2]), CedarSet.of([2, 1])) === true
 */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  // Primitives are in normal form (see long.ts), so `===` above was the whole answer for them.
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof EntityUID) return b instanceof EntityUID && a.id === b.id && a.type === b.type;
  if (a instanceof CedarSet) {
    if (!(b instanceof CedarSet) || a.size !== b.size) return false;
    for (const v of a.items) if (!b.has(v)) return false;
    return true;
  }
  if (a instanceof CedarRecord) {
    if (!(b instanceof CedarRecord) || a.attrs.size !== b.attrs.size) return false;
    for (const [k, v] of a.attrs) {
      const w = b.attrs.get(k);
      if (w === undefined || !valueEquals(v, w)) return false;
    }
    return true;
  }
  return b instanceof ExtensionValue && a.typeName === b.typeName && a.equals(b);
}

/**
 * The Cedar type name of a value, for error messages: bool, long, string, entity, set, record, or
 * the extension type (ipaddr, decimal, datetime, duration).
 */
export function typeName(v: Value): string {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'long';
    default:
      if (v instanceof EntityUID) return `entity of type \`${v.type}\``;
      if (v instanceof CedarSet) return 'set';
      if (v instanceof CedarRecord) return 'record';
      return v.typeName;
  }
}

/**
 * Cedar syntax for a value, for tests and operator tooling (never logged from the hot path: values
 * can be secrets).
 *
 * @example
 * formatValue(CedarSet.of([1, 'a'])) === '[1, "a"]'
 */
export function formatValue(v: Value): string {
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(v);
    case 'string':
      return JSON.stringify(v);
    default:
      if (v instanceof CedarSet) return `[${v.items.map(formatValue).join(', ')}]`;
      if (v instanceof CedarRecord) {
        return `{${[...v.attrs].map(([k, x]) => `${JSON.stringify(k)}: ${formatValue(x)}`).join(', ')}}`;
      }
      return v.toString();
  }
}

/** Cedar's JSON value form (`__entity` / `__extn` escapes); integers beyond ±2^53 stay bigint. */
export type ValueJson =
  | boolean
  | string
  | number
  | bigint
  | ValueJson[]
  | { [key: string]: ValueJson }
  | { __entity: { type: string; id: string } }
  | { __extn: { fn: string; args: ExtensionJsonArg[] } };

/**
 * The Cedar JSON form of a value, e.g. to write entity data back out. Serialize it with
 * `stringifyJson` (lossless) so bigint integers survive.
 */
export function valueToJson(v: Value): ValueJson {
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return v;
    default:
      if (v instanceof EntityUID) return { __entity: { type: v.type, id: v.id } };
      if (v instanceof CedarSet) return v.items.map(valueToJson);
      if (v instanceof CedarRecord) {
        const out: { [key: string]: ValueJson } = {};
        for (const [k, x] of v.attrs) Object.defineProperty(out, k, { value: valueToJson(x), enumerable: true, writable: true, configurable: true });
        return out;
      }
      return { __extn: v.toJson() };
  }
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
